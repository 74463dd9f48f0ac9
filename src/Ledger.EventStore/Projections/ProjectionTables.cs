using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace Ledger.EventStore.Projections;

/// <summary>Bookkeeping for projections: how far each async projection has applied, and every rebuild or verification.</summary>
public static class ProjectionTables
{
    public const string Positions = $"{LedgerStore.Schema}.projection_positions";
    public const string Rebuilds = $"{LedgerStore.Schema}.projection_rebuilds";

    public static IEnumerable<Table> Build()
    {
        var positions = new Table(new PostgresqlObjectName(LedgerStore.Schema, "projection_positions", SchemaUtils.IdentifierUsage.General));
        positions.AddColumn<string>("name").AsPrimaryKey();
        positions.AddColumn<long>("last_sequence").NotNull();
        positions.AddColumn<DateTimeOffset>("updated_at").NotNull();
        yield return positions;

        var rebuilds = new Table(new PostgresqlObjectName(LedgerStore.Schema, "projection_rebuilds", SchemaUtils.IdentifierUsage.General));
        rebuilds.AddColumn<Guid>("id").AsPrimaryKey();
        rebuilds.AddColumn<string>("projection").NotNull();
        rebuilds.AddColumn<string>("kind").NotNull();
        rebuilds.AddColumn<string>("state").NotNull();
        rebuilds.AddColumn<long>("events_done").NotNull();
        rebuilds.AddColumn<long>("events_total").NotNull();
        rebuilds.AddColumn<double>("events_per_second").NotNull();
        rebuilds.AddColumn<DateTimeOffset>("started_at").NotNull();
        rebuilds.AddColumn<DateTimeOffset>("finished_at");
        rebuilds.AddColumn<long>("differences");
        rebuilds.AddColumn<string>("error");
        // Who started the run: the API caller's subject, or cli:<OS user> for the ledger tool; null for runs journaled before.
        rebuilds.AddColumn<string>("started_by");
        // The session holding the projection's lock for a running run (its life sign): process id and session start.
        rebuilds.AddColumn<int>("lock_pid");
        rebuilds.AddColumn<DateTimeOffset>("lock_session_started_at");
        rebuilds.Indexes.Add(new IndexDefinition("ix_projection_rebuilds_projection") { Columns = ["projection", "started_at"] });
        yield return rebuilds;
    }
}
