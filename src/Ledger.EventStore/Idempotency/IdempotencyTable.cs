using Weasel.Postgresql.Tables;

namespace Ledger.EventStore.Idempotency;

/// <summary>
/// Stored responses of requests that carried an <c>Idempotency-Key</c>. A row is reserved (completed_at null) before
/// the command runs and completed with the response in the same database transaction as the command's events.
/// </summary>
public static class IdempotencyTable
{
    public const string Name = "idempotency_keys";

    public static Table Build(string schema)
    {
        var table = new Table(new Weasel.Postgresql.PostgresqlObjectName(schema, Name, Weasel.Postgresql.SchemaUtils.IdentifierUsage.General));
        table.AddColumn<string>("key").AsPrimaryKey();
        table.AddColumn<string>("request_hash").NotNull();
        table.AddColumn<DateTimeOffset>("created_at").NotNull();
        table.AddColumn<DateTimeOffset>("locked_until").NotNull();
        // A new random token each time a request reserves or takes over the key: the fencing token of ADR-009.
        table.AddColumn<Guid>("lease_token");
        table.AddColumn<DateTimeOffset>("completed_at");
        table.AddColumn<int>("response_status");
        table.AddColumn("response_body", "text");
        table.AddColumn("response_location", "text");
        table.Indexes.Add(new IndexDefinition($"ix_{Name}_created_at") { Columns = ["created_at"] });
        return table;
    }
}
