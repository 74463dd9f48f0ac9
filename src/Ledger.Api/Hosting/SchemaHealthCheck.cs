using System.Globalization;
using Ledger.EventStore;
using Ledger.Messaging.Health;
using Marten;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Ledger.Api.Hosting;

/// <summary>
/// Unhealthy when the database schema no longer matches the store's configuration (ADR-015): a start checks it once, this
/// keeps checking, so a schema changed under a running API (a restore, a migration of another version) takes the node
/// out of rotation instead of failing its writes one by one. The comparison is cached for <c>Health:SchemaCacheFor</c>.
/// </summary>
public sealed class SchemaHealthCheck(IDocumentStore store, IOptions<HealthOptions> options, TimeProvider clock) : IHealthCheck
{
    private readonly CachedHealth _cache = new(clock);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        _cache.GetAsync(options.Value.SchemaCacheFor, CompareAsync, cancellationToken);

    private async Task<HealthCheckResult> CompareAsync(CancellationToken cancellationToken)
    {
        try
        {
            var migration = await LedgerSchema.CompareAsync(store, cancellationToken);
            if (LedgerSchema.IsCurrent(migration))
            {
                return HealthCheckResult.Healthy("The database schema is current.");
            }

            var changes = LedgerSchema.Changes(migration);
            return HealthCheckResult.Unhealthy(string.Create(CultureInfo.InvariantCulture,
                $"The database schema is not current ({changes.Count} pending changes, first {(changes.Count > 0 ? changes[0] : "none listed")}); " +
                $"run `{LedgerSchema.MigrateCommand}`."));
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("The database schema cannot be compared.", exception);
        }
    }
}
