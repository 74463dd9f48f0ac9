using Ledger.AuditLog;
using Ledger.EventStore;
using Ledger.EventStore.Projections;
using Ledger.Fraud;
using Ledger.Messaging.Consumers;
using Ledger.Testing;
using Marten;
using Npgsql;
using Weasel.Core;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace Ledger.Messaging.Tests.Consumers;

/// <summary>
/// The consumers' tables are Weasel declarations registered with the ledger's Marten store, like every other table: one
/// migration creates them and one script prints them, and databases whose tables were made by the hand-written DDL of
/// earlier versions match them but for the columns added since.
/// </summary>
public sealed class ConsumerTablesTests
{
    // What FraudStore, AuditLogStore and ConsumerGapStore ran before their tables were declared: databases created then
    // hold exactly this.
    private const string HandWrittenSchemaSql = """
        create schema if not exists ledger_fraud;
        create table ledger_fraud.alerts (
            alert_id uuid primary key, rule text not null, account_id uuid not null, event_ids uuid[] not null,
            amount_minor bigint not null, currency text not null, amount text not null, detected_at timestamptz not null,
            occurred_at timestamptz not null, published boolean not null default false);
        create index alerts_detected_at on ledger_fraud.alerts (detected_at, alert_id);
        create index alerts_account_id_detected_at on ledger_fraud.alerts (account_id, detected_at, alert_id);
        create index alerts_unpublished on ledger_fraud.alerts (account_id) where not published;
        create table ledger_fraud.debits (
            event_id uuid primary key, account_id uuid not null, amount_minor bigint not null, currency text not null,
            occurred_at timestamptz not null);
        create index debits_account_id_occurred_at on ledger_fraud.debits (account_id, occurred_at);
        create table ledger_fraud.deposits (
            event_id uuid primary key, account_id uuid not null, amount_minor bigint not null, currency text not null,
            occurred_at timestamptz not null);
        create index deposits_account_id_occurred_at on ledger_fraud.deposits (account_id, occurred_at);
        create schema if not exists ledger_audit;
        create table ledger_audit.audit_log (
            ce_id uuid primary key, account_id uuid not null, stream_version bigint not null, sequence bigint not null,
            type text not null, payload jsonb not null, occurred_at timestamptz not null, received_at timestamptz not null,
            topic text not null, partition int not null, "offset" bigint not null);
        create index audit_log_account_version on ledger_audit.audit_log (account_id, stream_version);
        create table ledger_audit.consumed_offsets (
            consumer_group text not null, topic text not null, partition int not null, next_offset bigint not null,
            primary key (consumer_group, topic, partition));
        create table ledger_audit.counters (name text primary key, value bigint not null);
        create schema if not exists ledger_consumers;
        create table ledger_consumers.gaps (
            id bigserial primary key, consumer_group text not null, topic text not null, partition int not null,
            first_offset bigint not null, last_offset bigint not null, after_sequence bigint, before_sequence bigint,
            detected_at timestamptz not null, repaired_at timestamptz, repaired_by text,
            unique (consumer_group, topic, partition, first_offset, before_sequence));
        """;

    private static Table[] AllConsumerTables() =>
        [.. FraudStore.BuildTables(), .. AuditLogStore.BuildTables(), ConsumerGapStore.BuildTable()];

    [Fact]
    public async Task HandWrittenTables_MatchTheDeclarations()
    {
        await using var dataSource = NpgsqlDataSource.Create(PostgresServer.CreateDatabase());
        await using (var command = dataSource.CreateCommand(HandWrittenSchemaSql))
        {
            await command.ExecuteNonQueryAsync();
        }

        await using var connection = await dataSource.OpenConnectionAsync();
        var migration = await SchemaMigration.DetermineAsync(connection, CancellationToken.None, AllConsumerTables());

        // Since then the audit log records who appended each event (ce_actor, ce_actorrole), and a fraud alert whether it
        // froze its account (freeze_state, with an index of the pending ones): adding those columns and that index is the one
        // change such a database needs, and `ledger db migrate` makes it.
        migration.Difference.Should().Be(SchemaPatchDifference.Update);
        var script = new StringWriter();
        migration.WriteAllUpdates(script, new PostgresqlMigrator(), JasperFx.AutoCreate.CreateOrUpdate);
        script.ToString().Should().Contain("actor").And.Contain("actor_role").And.Contain("freeze_state").And.Contain("alerts_freeze_pending")
            .And.NotContainEquivalentOf("drop ");
        await new PostgresqlMigrator().ApplyAllAsync(connection, migration, JasperFx.AutoCreate.CreateOrUpdate);
        (await SchemaMigration.DetermineAsync(connection, CancellationToken.None, AllConsumerTables())).Difference
            .Should().Be(SchemaPatchDifference.None);
    }

    [Fact]
    public async Task EachStore_CreatesItsDeclaredTables()
    {
        await using var dataSource = NpgsqlDataSource.Create(PostgresServer.CreateDatabase());

        await new FraudStore(dataSource).CreateTablesAsync(CancellationToken.None);
        await new AuditLogStore(dataSource).CreateTablesAsync();
        await new ConsumerGapStore(dataSource).OpenAsync();

        await using var connection = await dataSource.OpenConnectionAsync();
        (await SchemaMigration.DetermineAsync(connection, CancellationToken.None, AllConsumerTables())).Difference.Should().Be(SchemaPatchDifference.None);
    }

    [Fact]
    public async Task LedgerStore_WithEveryModule_MigratesAndScriptsTheConsumersTables()
    {
        var connectionString = PostgresServer.CreateDatabase();
        using var store = DocumentStore.For(options =>
        {
            LedgerStore.Configure(options, connectionString, ProjectionCatalog.Ledger);
            MessagingStore.Configure(options);
            FraudStore.Configure(options);
            AuditLogStore.Configure(options);
        });

        await store.Storage.Database.ApplyAllConfiguredChangesToDatabaseAsync();

        var script = store.Storage.Database.ToDatabaseScript();
        foreach (var table in AllConsumerTables())
        {
            script.Should().Contain(table.Identifier.QualifiedName);
        }

        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var connection = await dataSource.OpenConnectionAsync();
        (await SchemaMigration.DetermineAsync(connection, CancellationToken.None, AllConsumerTables())).Difference.Should().Be(SchemaPatchDifference.None);
    }
}
