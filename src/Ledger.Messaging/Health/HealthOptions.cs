using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Ledger.Messaging.Health;

/// <summary><c>Health:*</c> settings of the readiness checks (docs/operations.md, Health).</summary>
public sealed class HealthOptions
{
    public const string Section = "Health";

    /// <summary>Events committed but not yet on Kafka above which readiness is <c>Degraded</c>.</summary>
    public long RelayLagMax { get; set; } = 10_000;

    /// <summary>How long the Kafka metadata request may take before the broker counts as unreachable.</summary>
    public TimeSpan KafkaTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a Kafka probe's answer is reused, so that frequent probes do not each ask the cluster.</summary>
    public TimeSpan KafkaCacheFor { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a schema comparison's answer is reused (a comparison reads the catalogue of every ledger table).</summary>
    public TimeSpan SchemaCacheFor { get; set; } = TimeSpan.FromSeconds(30);

    public static bool AreValid(HealthOptions options) =>
        options.RelayLagMax >= 0 && options.KafkaTimeout > TimeSpan.Zero && options.KafkaCacheFor >= TimeSpan.Zero &&
        options.SchemaCacheFor >= TimeSpan.Zero;
}

/// <summary>
/// A check's last answer, reused while it is younger than the cache time, so that frequent probes do not each ask the
/// dependency. Probes that overlap may both ask; the later answer is kept.
/// </summary>
public sealed class CachedHealth(TimeProvider clock)
{
    private readonly Lock _gate = new();
    private (HealthCheckResult Result, DateTimeOffset At)? _last;

    public async Task<HealthCheckResult> GetAsync(TimeSpan cacheFor, Func<CancellationToken, Task<HealthCheckResult>> probe,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(probe);
        lock (_gate)
        {
            if (_last is { } last && clock.GetUtcNow() - last.At < cacheFor)
            {
                return last.Result;
            }
        }

        var result = await probe(cancellationToken);
        lock (_gate)
        {
            _last = (result, clock.GetUtcNow());
        }

        return result;
    }
}
