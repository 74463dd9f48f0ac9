using JasperFx.Events;
using Ledger.EventStore;
using Marten;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace Ledger.Messaging.Relay;

/// <summary>Events the relay could not publish, recorded in the transaction that moves its checkpoint past them.</summary>
public static class RelayDeadLetters
{
    public const string Name = "relay_dead_letters";
    public const string QualifiedName = $"{LedgerStore.Schema}.{Name}";

    public static Table Build()
    {
        var table = new Table(new PostgresqlObjectName(LedgerStore.Schema, Name, SchemaUtils.IdentifierUsage.General));
        table.AddColumn<long>("sequence").AsPrimaryKey();
        table.AddColumn<Guid>("event_id").NotNull();
        table.AddColumn<Guid>("stream_id").NotNull();
        table.AddColumn<long>("version").NotNull();
        table.AddColumn<string>("type").NotNull();
        table.AddColumn<string>("reason").NotNull();
        table.AddColumn<DateTimeOffset>("recorded_at").NotNull();
        return table;
    }

    public static void Queue(IDocumentOperations operations, IEvent e, string reason)
    {
        ArgumentNullException.ThrowIfNull(operations);
        ArgumentNullException.ThrowIfNull(e);
        operations.QueueSqlCommand(
            $"insert into {QualifiedName} (sequence, event_id, stream_id, version, type, reason, recorded_at) " +
            "values (?, ?, ?, ?, ?, ?, now()) on conflict (sequence) do nothing",
            e.Sequence, e.Id, e.StreamId, e.Version, e.EventTypeName ?? "unknown", reason);
    }
}
