using Ledger.AuditLog;
using Ledger.EventStore;
using Ledger.Fraud;
using Ledger.Messaging.Consumers;
using Npgsql;

namespace Ledger.Workers;

/// <summary>
/// The consumers' tables, made ready before any consumer starts (ADR-015), as the API's start does for the whole store:
/// in Development (or with <c>Ledger:ApplySchemaOnStart</c>) created when missing; elsewhere checked, and the start refused
/// with a message naming <c>ledger db migrate</c> when they are missing or out of date. The stores themselves never run
/// DDL on the way of a message.
/// </summary>
public sealed class ConsumerSchemaOnStart(NpgsqlDataSource dataSource, bool applySchemaOnStart) : IHostedLifecycleService
{
    /// <summary>Every table the consumers write: the audit log's, the fraud rules', and the gaps both record.</summary>
    public static IReadOnlyList<Weasel.Postgresql.Tables.Table> Tables() =>
        [.. AuditLogStore.BuildTables(), .. FraudStore.BuildTables(), ConsumerGapStore.BuildTable()];

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        if (applySchemaOnStart)
        {
            await ConsumerTables.EnsureAsync(dataSource, Tables(), cancellationToken);
            return;
        }

        if (!await ConsumerTables.AreCurrentAsync(dataSource, Tables(), cancellationToken))
        {
            throw new StartupRefusedException(
                "The consumers' tables (schemas ledger_audit, ledger_fraud, ledger_consumers) are missing or out of date in the database " +
                "of ConnectionStrings:Ledger. Apply the schema first with `ledger db migrate` (or `ledger db script` for the SQL), " +
                $"or set {Development.EmbeddedInfrastructure.ApplySchemaOnStartKey}=true to let this process apply it.");
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
