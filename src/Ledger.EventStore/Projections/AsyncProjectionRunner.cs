using Marten;
using Npgsql;

namespace Ledger.EventStore.Projections;

/// <summary>
/// Keeps the async projections (the reports) up to date: in one transaction per batch it locks the projection's position
/// row, reads the next events up to a final sequence (<see cref="SequenceCeiling"/>), adds their effect onto the live rows
/// and moves the position. A rebuild takes the same row lock before switching, so the two never interleave.
/// </summary>
public sealed class AsyncProjectionRunner(NpgsqlDataSource dataSource, ISerializer serializer, TimeProvider time)
{
    public const int BatchEventsMax = 2_000;

    private readonly EventReader _events = new(serializer);
    private readonly SequenceCeiling _ceiling = new(time);

    /// <summary>Applies at most one batch; returns the number of events applied (0 when the projection is current).</summary>
    public async Task<int> RunOnceAsync(ReplayProjection projection, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(projection);
        await using var connection = await dataSource.OpenConnectionAsync(cancellation);
        await using var transaction = await connection.BeginTransactionAsync(cancellation);
        var position = await LockPositionAsync(connection, projection.Name, cancellation);
        var ceiling = await _ceiling.ReadAsync(connection, position, cancellation, BatchEventsMax);
        if (ceiling <= position)
        {
            await transaction.RollbackAsync(cancellation);
            return 0;
        }

        // The ceiling looked at most a batch ahead, so everything up to it is one batch.
        var builder = (IMergingProjectionBuilder)projection.CreateBuilder(new ReplayContext(serializer));
        var applied = 0;
        await foreach (var e in _events.ReadRangeAsync(connection, position, ceiling, cancellation))
        {
            builder.Apply(e);
            applied++;
        }

        await builder.MergeAsync(connection, $"{LedgerStore.Schema}.{projection.Table}", cancellation);
        await SetPositionAsync(connection, projection.Name, ceiling, time, cancellation);
        await transaction.CommitAsync(cancellation);
        return applied;
    }

    /// <summary>The last sequence the projection reflects (0 when it never ran).</summary>
    public static async Task<long> PositionAsync(NpgsqlConnection connection, string projection, CancellationToken cancellation)
    {
        await using var command = new NpgsqlCommand($"select last_sequence from {ProjectionTables.Positions} where name = @name", connection);
        command.Parameters.AddWithValue("name", projection);
        return await command.ExecuteScalarAsync(cancellation) as long? ?? 0;
    }

    /// <summary>Locks the projection's position row for the caller's transaction (creating it at 0) and returns it.</summary>
    public static async Task<long> LockPositionAsync(NpgsqlConnection connection, string projection, CancellationToken cancellation)
    {
        await using var command = new NpgsqlCommand(
            $"insert into {ProjectionTables.Positions} (name, last_sequence, updated_at) values (@name, 0, now()) on conflict (name) do nothing; " +
            $"select last_sequence from {ProjectionTables.Positions} where name = @name for update", connection);
        command.Parameters.AddWithValue("name", projection);
        return (long)(await command.ExecuteScalarAsync(cancellation))!;
    }

    public static async Task SetPositionAsync(NpgsqlConnection connection, string projection, long sequence, TimeProvider time,
        CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(time);
        await using var command = new NpgsqlCommand(
            $"update {ProjectionTables.Positions} set last_sequence = @sequence, updated_at = @now where name = @name", connection);
        command.Parameters.AddWithValue("name", projection);
        command.Parameters.AddWithValue("sequence", sequence);
        command.Parameters.AddWithValue("now", time.GetUtcNow());
        await command.ExecuteNonQueryAsync(cancellation);
    }
}
