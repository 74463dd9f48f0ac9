using Ledger.EventStore;
using Ledger.EventStore.MartenStorage;
using Npgsql;

namespace Ledger.Messaging.Relay;

public sealed record RelayStatus(long LastPublishedSequence, long HighWaterMark, long Lag, long DeadLetters);

/// <summary>
/// Reads the relay's checkpoint against the event store's committed head (<see cref="EventStoreHead"/>), in one statement
/// and so one snapshot. Not against the daemon's high-water mark: that one trails the committed events by its polling
/// interval, and after a crash it can stand above every event, on sequence numbers no event took (ADR-008).
/// </summary>
public sealed class RelayStatusQuery(NpgsqlDataSource dataSource)
{
    public async Task<RelayStatus> ReadAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"with checkpoint as (select {MartenTables.ShardPositionSql} as published) " +
            $"select published, {EventStoreHead.HeadSql}, {EventStoreHead.LagSql("published")}, " +
            $"(select count(*) from {RelayDeadLetters.QualifiedName}) from checkpoint");
        command.Parameters.Add(new NpgsqlParameter { Value = RelaySubscription.ShardName });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new RelayStatus(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
    }
}
