using Ledger.Messaging.Consumers;
using Ledger.Messaging.Health;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Ledger.Workers;

/// <summary>
/// Ready when every table the consumers write exists as declared (<see cref="ConsumerSchemaOnStart.Tables"/>): after a
/// restore or a dropped schema the consumers would fail on every message. The comparison reads the catalogue, so its answer
/// is reused for <c>Health:SchemaCacheFor</c>.
/// </summary>
public sealed class ConsumerTablesHealthCheck(NpgsqlDataSource dataSource, IOptions<HealthOptions> options, TimeProvider clock) : IHealthCheck
{
    private readonly CachedHealth _cache = new(clock);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        _cache.GetAsync(options.Value.SchemaCacheFor, ProbeAsync, cancellationToken);

    private async Task<HealthCheckResult> ProbeAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await ConsumerTables.AreCurrentAsync(dataSource, ConsumerSchemaOnStart.Tables(), cancellationToken)
                ? HealthCheckResult.Healthy("The consumers' tables are current.")
                : HealthCheckResult.Unhealthy("The consumers' tables are missing or out of date; apply them with `ledger db migrate`.");
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("The consumers' tables could not be compared: PostgreSQL does not answer.", exception);
        }
    }
}
