using System.Diagnostics.Metrics;
using Ledger.Messaging.Relay;
using Npgsql;

namespace Ledger.Api.Hosting;

/// <summary>
/// <c>ledger.relay.lag</c> (meter <c>Ledger.Relay</c>): committed events not yet published, read from PostgreSQL at each
/// scrape (one indexed statement, <see cref="RelayStatusQuery"/>). Every API node reports the same store-wide number, whether
/// or not it is the relay leader, so the alert holds across a failover; a node whose database does not answer within
/// <see cref="ReadTimeout"/> reports nothing rather than a stale number.
/// </summary>
public sealed class RelayLagGauge : IDisposable
{
    public static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(2);

    private readonly Meter _meter = new(RelayMetrics.MeterName);
    private readonly RelayStatusQuery _query;

    public RelayLagGauge(RelayStatusQuery query)
    {
        _query = query;
        _meter.CreateObservableGauge("ledger.relay.lag", Observe, "{event}", "Committed events not yet published to Kafka (store-wide).");
    }

    private IEnumerable<Measurement<long>> Observe()
    {
        try
        {
            using var timeout = new CancellationTokenSource(ReadTimeout);
            // The exporter asks synchronously; this runs on its scrape, never on a request's thread.
            return [new Measurement<long>(_query.ReadAsync(timeout.Token).GetAwaiter().GetResult().Lag)];
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            return [];
        }
    }

    public void Dispose() => _meter.Dispose();
}
