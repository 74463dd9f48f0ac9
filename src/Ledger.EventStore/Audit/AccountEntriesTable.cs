using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace Ledger.EventStore.Audit;

/// <summary>
/// One row per event per account stream, written by <see cref="AccountEntriesProjection"/> in the append's transaction:
/// the signed amount, the balance after it, the whole account state after it, and the event's chain hash. As-of
/// reads, history, statements and the trial balance are indexed lookups on this table, never a replay; the trial balance
/// reads one row per account (its last entry at the instant, with the deposits and withdrawals to date).
/// </summary>
public static class AccountEntriesTable
{
    public const string Name = "account_entries";
    public const string QualifiedName = $"{LedgerStore.Schema}.{Name}";

    public static Table Build()
    {
        var table = new Table(new PostgresqlObjectName(LedgerStore.Schema, Name, SchemaUtils.IdentifierUsage.General));
        table.AddColumn<Guid>("account_id").AsPrimaryKey();
        table.AddColumn<long>("version").AsPrimaryKey();
        table.AddColumn<long>("sequence").NotNull();
        table.AddColumn<Guid>("event_id").NotNull();
        table.AddColumn<string>("type").NotNull();
        table.AddColumn<string>("currency").NotNull();
        table.AddColumn<long>("amount_minor").NotNull();
        table.AddColumn<long>("balance_after_minor").NotNull();
        table.AddColumn<DateTimeOffset>("occurred_at").NotNull();
        table.AddColumn<Guid>("transfer_id");
        table.AddColumn<Guid>("counterparty_account_id");
        table.AddColumn<string>("reference");
        table.AddColumn<string>("correlation_id");
        // Who appended the event (Actor); null for events appended before actors were recorded.
        table.AddColumn<string>("actor_subject");
        table.AddColumn<string>("actor_role");
        table.AddColumn("data", "jsonb").NotNull();
        table.AddColumn("state", "jsonb").NotNull();
        table.AddColumn<string>("hash").NotNull();
        // The account's deposits and withdrawals to date (AccountEntryRow). Nullable, because a database created before
        // they existed gains them empty and a rebuild of account-entries fills them (docs/operations.md); the trial
        // balance falls back to summing every movement while any account's entry lacks them.
        table.AddColumn("deposited_to_date_minor", "numeric");
        table.AddColumn("withdrawn_to_date_minor", "numeric");
        // Time and version: an account's last entry at an instant is one descent of this index (as-of reads, the trial
        // balance); it also holds what the trial balance sums, so that read never touches the table (ADR-017).
        table.Indexes.Add(new IndexDefinition($"ix_{Name}_account_time")
        {
            Columns = ["account_id", "occurred_at", "version"],
            IncludeColumns = ["currency", "balance_after_minor", "deposited_to_date_minor", "withdrawn_to_date_minor", "sequence"],
        });
        table.Indexes.Add(new IndexDefinition($"ix_{Name}_time") { Columns = ["occurred_at"] });
        table.Indexes.Add(new IndexDefinition($"ix_{Name}_sequence") { Columns = ["sequence"] });
        return table;
    }
}
