using System.Globalization;
using Ledger.Messaging.Consumers;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Ledger.Api.Hosting;

/// <summary>
/// Degraded while a consumer gap is open: a consumer group lost messages to Kafka's retention and nobody has republished
/// them yet. The ledger still takes commands, so this does not make the API unready; it makes the loss impossible to miss.
/// It clears when <c>ledger relay republish</c> covers every open gap's range (ADR-010).
/// </summary>
public sealed class ConsumerGapsHealthCheck(ConsumerGapStore gaps) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var open = await gaps.OpenAsync(cancellationToken: cancellationToken);
            if (open.Count == 0)
            {
                return HealthCheckResult.Healthy("No consumer has lost messages.");
            }

            var from = open.Min(gap => gap.RepublishFromSequence);
            var to = open.Any(gap => gap.RepublishToSequence is null) ? "" : $" --to-sequence {open.Max(gap => gap.RepublishToSequence)}";
            return HealthCheckResult.Degraded(string.Create(CultureInfo.InvariantCulture,
                $"{open.Count} consumer gap(s) open ({open.Sum(gap => gap.MissingMessages)} messages lost to Kafka retention); " +
                $"repair with: ledger relay republish --from-sequence {from}{to}"));
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            return HealthCheckResult.Degraded("Consumer gaps cannot be read.", exception);
        }
    }
}
