using System.Globalization;
using Ledger.Messaging.Health;
using Ledger.Messaging.Relay;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Ledger.Api.Hosting;

/// <summary>
/// Degraded while more than <c>Health:RelayLagMax</c> committed events are not yet on Kafka (the lag of
/// <c>GET /api/v1/relay</c>, against the committed head, ADR-008). Registered only where the relay runs.
/// </summary>
public sealed class RelayLagHealthCheck(RelayStatusQuery relay, IOptions<HealthOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var max = options.Value.RelayLagMax;
        try
        {
            var status = await relay.ReadAsync(cancellationToken);
            var data = new Dictionary<string, object> { ["lag"] = status.Lag, ["lagMax"] = max };
            return status.Lag <= max
                ? HealthCheckResult.Healthy(string.Create(CultureInfo.InvariantCulture, $"Relay lag {status.Lag} events."), data)
                : new HealthCheckResult(context.Registration.FailureStatus, string.Create(CultureInfo.InvariantCulture,
                    $"Relay lag {status.Lag} events, above Health:RelayLagMax {max}."), data: data);
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "Relay lag cannot be read.", exception);
        }
    }
}
