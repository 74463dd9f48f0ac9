using System.Diagnostics;
using System.Diagnostics.Metrics;
using Confluent.Kafka;
using JasperFx.Events;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Ledger.Contracts;
using Ledger.EventStore;
using Marten;
using Marten.Subscriptions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Ledger.Messaging.Relay;

/// <summary>
/// Relays committed events to Kafka, run by Marten's async daemon: the daemon only hands out events below the high-water
/// mark (committed, with no gaps behind them), in sequence order, and stores this subscription's progress in PostgreSQL
/// in the same transaction as the dead letters of the page, after <see cref="ProcessEventsAsync"/> returns — which it
/// does only once Kafka has acknowledged the page. So: at least once, in order, nothing uncommitted.
/// </summary>
public sealed partial class RelaySubscription : SubscriptionBase
{
    public const string SubscriptionName = "KafkaRelay";
    public const string ShardName = $"{SubscriptionName}:All";

    private readonly EventPublisher _publisher;
    private readonly RelayMetrics _metrics;
    private readonly ILogger<RelaySubscription> _logger;

    public RelaySubscription(EventPublisher publisher, RelayMetrics metrics, IOptions<KafkaOptions> options, ILogger<RelaySubscription> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _publisher = publisher;
        _metrics = metrics;
        _logger = logger;
        Name = SubscriptionName;
        Options.BatchSize = options.Value.RelayPageSize;
        Options.MaximumHopperSize = options.Value.RelayPageSize * 4;
    }

    public override async Task<IChangeListener> ProcessEventsAsync(EventRange page, ISubscriptionController controller,
        IDocumentOperations operations, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(operations);
        var messages = new List<Message<string, byte[]>>(page.Events.Count);
        // One producer span per message, each under the span of the request that appended its event (ADR-022).
        using var spans = new SendSpans(RelayTracing.Source, KafkaTopics.AccountEvents);
        // Marten's tombstones fill the sequence positions of failed appends: no event, nothing to publish or set aside (ADR-008).
        foreach (var e in page.Events.Where(e => !Tombstones.IsTombstone(e.EventTypeName)))
        {
            try
            {
                messages.Add(spans.Add(IntegrationEventMapper.Map(e), RelayTracing.ParentOf(e)));
            }
            catch (UnmappableEventException exception)
            {
                // Set aside, recorded with the checkpoint, reported; the events behind it go on.
                RelayDeadLetters.Queue(operations, e, exception.Message);
                _metrics.DeadLettered();
                LogDeadLetter(_logger, e.Sequence, e.Id, e.StreamId, exception.Message);
            }
        }

        await _publisher.PublishAsync(messages, cancellationToken);
        spans.Acknowledged();
        _metrics.Published(messages.Count, page.SequenceCeiling);
        return NullChangeListener.Instance;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Relay dead letter: event {Sequence} ({EventId}) in stream {StreamId} was not published: {Reason}")]
    private static partial void LogDeadLetter(ILogger logger, long sequence, Guid eventId, Guid streamId, string reason);
}

/// <summary>The relay's spans (activity source <c>Ledger.Relay</c>, named like its meter).</summary>
public static class RelayTracing
{
    public const string SourceName = RelayMetrics.MeterName;

    public static ActivitySource Source { get; } = new(SourceName);

    /// <summary>The span that appended the event, stored with it (ADR-022); default (a new trace) when it has none.</summary>
    public static ActivityContext ParentOf(IEvent e) => TraceContext.Of(e)?.AsParent() ?? default;
}

/// <summary>Relay metrics (meter <c>Ledger.Relay</c>).</summary>
public sealed class RelayMetrics : IDisposable
{
    public const string MeterName = "Ledger.Relay";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _published;
    private readonly Counter<long> _deadLetters;
    private long _lastPublishedSequence;

    public RelayMetrics()
    {
        _published = _meter.CreateCounter<long>("ledger.relay.published", "{message}", "Messages acknowledged by Kafka.");
        _deadLetters = _meter.CreateCounter<long>("ledger.relay.dead_letters", "{event}", "Events set aside because they could not be mapped.");
        // From zero at start, so that Prometheus's increase() sees the first one counted.
        _published.Add(0);
        _deadLetters.Add(0);
        _meter.CreateObservableGauge("ledger.relay.last_published_sequence", () => Interlocked.Read(ref _lastPublishedSequence), "{sequence}",
            "Global sequence of the last event the relay published.");
    }

    public void Published(int messages, long ceiling)
    {
        _published.Add(messages);
        Interlocked.Exchange(ref _lastPublishedSequence, ceiling);
    }

    public void DeadLettered() => _deadLetters.Add(1);

    public void Dispose() => _meter.Dispose();
}
