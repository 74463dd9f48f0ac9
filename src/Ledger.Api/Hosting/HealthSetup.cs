using Ledger.Messaging;
using Ledger.Messaging.Health;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Ledger.Api.Hosting;

/// <summary>
/// Liveness says the process serves HTTP. Readiness checks PostgreSQL and the schema (Unhealthy: 503, take the node out
/// of rotation), and Kafka, the relay's lag and consumer gaps (Degraded: 200, the ledger still takes commands) when the
/// relay or consumers run here. Both answer JSON naming each check with its status (docs/operations.md, Health).
/// </summary>
public static class HealthSetup
{
    public const string Ready = HealthEndpoints.ReadyTag;

    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);

    public static void AddLedgerHealthChecks(this IServiceCollection services, KafkaOptions kafka)
    {
        ArgumentNullException.ThrowIfNull(kafka);
        services.AddOptions<HealthOptions>().BindConfiguration(HealthOptions.Section)
            .Validate(HealthOptions.AreValid, "Health:RelayLagMax must not be negative, Health:KafkaTimeout must be positive and the cache times not negative.")
            .ValidateOnStart();
        // Singletons, so that the cached answers and the Kafka client live as long as the host.
        services.AddSingleton<SchemaHealthCheck>();
        var checks = services.AddHealthChecks()
            .AddCheck<PostgresHealthCheck>("postgres", tags: [Ready], timeout: CheckTimeout)
            .AddCheck<SchemaHealthCheck>("schema", tags: [Ready], timeout: CheckTimeout)
            .AddCheck<ConsumerGapsHealthCheck>("consumer-gaps", HealthStatus.Degraded, tags: [Ready], timeout: CheckTimeout);
        if (kafka.RelayEnabled || kafka.ConsumersEnabled)
        {
            services.AddSingleton<KafkaHealthCheck>();
            checks.AddCheck<KafkaHealthCheck>("kafka", HealthStatus.Degraded, tags: [Ready], timeout: CheckTimeout);
        }

        if (kafka.RelayEnabled)
        {
            checks.AddCheck<RelayLagHealthCheck>("relay-lag", HealthStatus.Degraded, tags: [Ready], timeout: CheckTimeout);
        }
    }

    public static void MapLedgerHealthChecks(this IEndpointRouteBuilder endpoints) => HealthEndpoints.Map(endpoints, Ready);
}
