using Confluent.Kafka;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Ledger.Messaging.Health;

/// <summary>
/// Whether Kafka answers a metadata request within <c>Health:KafkaTimeout</c>; the answer is cached for
/// <c>Health:KafkaCacheFor</c>. Registered where the relay or the consumers run (the API, the workers), with failure status
/// <c>Degraded</c>: without Kafka the ledger still takes commands and the relay keeps their events in PostgreSQL until it
/// can publish them, so the node stays in rotation and the outage shows instead of hiding.
/// </summary>
public sealed class KafkaHealthCheck : IHealthCheck, IDisposable
{
    private readonly IAdminClient _admin;
    private readonly IOptions<HealthOptions> _options;
    private readonly CachedHealth _cache;

    public KafkaHealthCheck(KafkaConnection connection, IOptions<HealthOptions> options, TimeProvider clock, ILogger<KafkaHealthCheck> logger)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _options = options;
        _cache = new CachedHealth(clock);
        _admin = new AdminClientBuilder(new AdminClientConfig
        {
            BootstrapServers = connection.BootstrapServers,
            ClientId = "ledger-health",
            SocketConnectionSetupTimeoutMs = (int)Math.Max(1000, options.Value.KafkaTimeout.TotalMilliseconds),
        }).SetLogHandler((_, message) => KafkaLog.Write(logger, message)).Build();
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var failure = context.Registration.FailureStatus;
        return _cache.GetAsync(_options.Value.KafkaCacheFor, _ => Task.Run(() => Probe(failure), CancellationToken.None), cancellationToken);
    }

    private HealthCheckResult Probe(HealthStatus failure)
    {
        try
        {
            // One metadata request to any broker: cheap, and it fails within the timeout when none answers.
            var metadata = _admin.GetMetadata(_options.Value.KafkaTimeout);
            return metadata.Brokers.Count > 0
                ? HealthCheckResult.Healthy($"Kafka answers ({metadata.Brokers.Count} broker(s)).")
                : new HealthCheckResult(failure, "Kafka answered without brokers.");
        }
        catch (KafkaException exception)
        {
            return new HealthCheckResult(failure, $"Kafka does not answer within {_options.Value.KafkaTimeout.TotalSeconds:0.#} s; " +
                "committed events wait in PostgreSQL for the relay.", exception);
        }
    }

    public void Dispose() => _admin.Dispose();
}
