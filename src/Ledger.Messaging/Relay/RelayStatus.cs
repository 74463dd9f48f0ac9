using Ledger.EventStore;
using Npgsql;

namespace Ledger.Messaging.Relay;

public sealed record RelayStatus(long LastPublishedSequence, long HighWaterMark, long Lag, long DeadLetters);

/// <summary>Reads the relay's checkpoint and the daemon's high-water mark from PostgreSQL.</summary>
public sealed class RelayStatusQuery(NpgsqlDataSource dataSource)
{
    public async Task<RelayStatus> ReadAsync(CancellationToken cancellationToken)
    {
        var progression = $"{LedgerStore.Schema}.mt_event_progression";
        await using var command = dataSource.CreateCommand(
            $"select coalesce((select last_seq_id from {progression} where name = $1), 0), " +
            $"coalesce((select last_seq_id from {progression} where name = 'HighWaterMark'), 0), " +
            $"(select count(*) from {RelayDeadLetters.QualifiedName})");
        command.Parameters.Add(new NpgsqlParameter { Value = RelaySubscription.ShardName });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var published = reader.GetInt64(0);
        var highWaterMark = reader.GetInt64(1);
        return new RelayStatus(published, highWaterMark, Math.Max(0, highWaterMark - published), reader.GetInt64(2));
    }
}
