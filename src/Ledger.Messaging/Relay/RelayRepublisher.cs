using Confluent.Kafka;
using JasperFx.Events;
using Ledger.Contracts;
using Ledger.EventStore;
using Ledger.Messaging.Consumers;
using Marten;
using Microsoft.Extensions.Options;

namespace Ledger.Messaging.Relay;

/// <param name="ToSequence">The last sequence asked for, or the last event in the store when none was given.</param>
/// <param name="Published">Messages produced and acknowledged by Kafka.</param>
/// <param name="Skipped">Events in the range with no message: the relay's dead letters (they have no integration contract).</param>
/// <param name="GapsRepaired">Consumer gaps whose sequence range this republish covered, now marked repaired.</param>
public sealed record RepublishResult(long FromSequence, long ToSequence, long Published, long Skipped, IReadOnlyList<ConsumerGap> GapsRepaired);

/// <summary>
/// Publishes a range of committed events to Kafka again, exactly as the relay published them (the same mapping, hence
/// the same <c>ce_id</c>, key, partition and headers, through the relay's producer), for consumers that lost them: they
/// deduplicate by <c>ce_id</c>, so what they already had changes nothing. Then marks the consumer gaps the range covers
/// as repaired. Marten's <c>tombstone</c> events (placeholders for failed appends) are not events of the ledger and are
/// skipped like the relay skips them.
/// </summary>
public sealed class RelayRepublisher(IDocumentStore store, EventPublisher publisher, ConsumerGapStore gaps, IOptions<KafkaOptions> options,
    TimeProvider clock)
{
    public async Task<RepublishResult> RepublishAsync(long fromSequence, long? toSequence, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fromSequence, 1);
        await using var session = store.QuerySession();
        var to = toSequence ?? await LastSequenceAsync(session, cancellationToken);
        long published = 0, skipped = 0;
        for (var next = fromSequence; next <= to;)
        {
            var page = await session.Events.QueryAllRawEvents()
                .Where(e => e.Sequence >= next && e.Sequence <= to && e.EventTypeName != Tombstones.TypeName)
                .OrderBy(e => e.Sequence)
                .Take(options.Value.RelayPageSize)
                .ToListAsync(cancellationToken);
            if (page.Count == 0)
            {
                break;
            }

            using var spans = new SendSpans(RelayTracing.Source, KafkaTopics.AccountEvents);
            var messages = Map(page, spans);
            skipped += page.Count - messages.Count;
            await publisher.PublishAsync(messages, cancellationToken);
            spans.Acknowledged();
            published += messages.Count;
            next = page[^1].Sequence + 1;
        }

        var repaired = await gaps.MarkRepairedAsync(fromSequence, to, toLastEvent: toSequence is null, clock.GetUtcNow(), cancellationToken);
        return new RepublishResult(fromSequence, to, published, skipped, repaired);
    }

    /// <summary>The relay's own mapping; an event it cannot map was set aside by the relay as a dead letter, and is here too.</summary>
    private static List<Message<string, byte[]>> Map(IReadOnlyList<IEvent> page, SendSpans spans)
    {
        var messages = new List<Message<string, byte[]>>(page.Count);
        foreach (var e in page)
        {
            try
            {
                messages.Add(spans.Add(IntegrationEventMapper.Map(e), RelayTracing.ParentOf(e)));
            }
            catch (UnmappableEventException)
            {
                // Counted as skipped by the caller; listed with its reason in the relay's dead-letter table.
            }
        }

        return messages;
    }

    private static async Task<long> LastSequenceAsync(IQuerySession session, CancellationToken cancellationToken)
    {
        var last = await session.Events.QueryAllRawEvents().OrderByDescending(e => e.Sequence).Take(1).ToListAsync(cancellationToken);
        return last.Count == 0 ? 0 : last[0].Sequence;
    }
}
