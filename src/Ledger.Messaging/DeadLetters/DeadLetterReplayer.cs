using System.Text;
using Confluent.Kafka;
using Ledger.Contracts;
using Ledger.Domain;
using Ledger.Messaging.Relay;

namespace Ledger.Messaging.DeadLetters;

/// <param name="Replayed">Acknowledged by Kafka and recorded in <see cref="DeadLetterReplayStore"/>.</param>
/// <param name="Failed">Not acknowledged, with Kafka's reason; not recorded (a timed-out one may still have been published).</param>
public sealed record DeadLetterReplayResult(IReadOnlyList<DeadLetterReplay> Replayed, IReadOnlyList<DeadLetterReplayFailure> Failed);

public sealed record DeadLetterReplayFailure(DeadLetterId DeadLetter, string Reason);

/// <summary>
/// Puts dead letters back where they came from: each one's original key, value and headers (without the
/// <c>ledger-dlq-*</c> headers, plus <see cref="CloudEventHeaders.DeadLetterReplayedFrom"/>) to its original topic and
/// partition, through an idempotent producer with <c>acks=all</c>, waiting for every acknowledgement; then records what
/// Kafka acknowledged. Consumers deduplicate by <c>ce_id</c>, so a message a consumer did process before has no second
/// effect there, and every consumer group, not only the one that dead-lettered it, receives the replay.
/// </summary>
public sealed class DeadLetterReplayer(string bootstrapServers, DeadLetterReplayStore replays, TimeProvider clock)
{
    /// <summary>The message as it was on its original topic, marked as a replay of <paramref name="letter"/>.</summary>
    public static Message<string?, byte[]?> ToOriginal(DeadLetter letter)
    {
        ArgumentNullException.ThrowIfNull(letter);
        var headers = new Headers();
        foreach (var header in letter.Headers.Where(header => !CloudEventHeaders.DeadLetterHeaders.Contains(header.Name, StringComparer.Ordinal)))
        {
            headers.Add(header.Name, header.Value);
        }

        headers.Add(CloudEventHeaders.DeadLetterReplayedFrom, Encoding.UTF8.GetBytes(letter.Id.ToString()));
        return new Message<string?, byte[]?> { Key = letter.Key, Value = letter.Value, Headers = headers };
    }

    /// <summary>
    /// Publishes the dead letters, in the order given, each to its original partition; waits at most
    /// <paramref name="timeout"/> for the acknowledgements, then records those acknowledged, in one transaction.
    /// </summary>
    public async Task<DeadLetterReplayResult> ReplayAsync(IReadOnlyList<DeadLetter> letters, string? replayedBy, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(letters);
        var refused = letters.FirstOrDefault(letter => letter.NotReplayableBecause is not null);
        Invariant.Assert(refused is null, $"dead letter {refused?.Id} cannot be replayed: {refused?.NotReplayableBecause}");
        using var producer = new ProducerBuilder<string?, byte[]?>(Config(timeout)).SetErrorHandler((_, _) => { }).SetLogHandler((_, _) => { }).Build();
        var deliveries = letters.Select(letter => producer.ProduceAsync(
            new TopicPartition(letter.OriginalTopic, letter.OriginalPartition!.Value), ToOriginal(letter), cancellationToken)).ToList();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var replayed = new List<DeadLetterReplay>();
        var failed = new List<DeadLetterReplayFailure>();
        for (var i = 0; i < letters.Count; i++)
        {
            var letter = letters[i];
            try
            {
                // Confluent's token covers only enqueueing; the deadline covers the acknowledgement.
                var delivered = await deliveries[i].WaitAsync(deadline.Token);
                replayed.Add(new DeadLetterReplay(letter.Id, letter.EventId, letter.EventType, letter.ConsumerGroup, letter.OriginalTopic!,
                    letter.OriginalPartition!.Value, letter.OriginalOffset!.Value, delivered.Partition.Value, delivered.Offset.Value, clock.GetUtcNow(), replayedBy));
            }
            catch (ProduceException<string?, byte[]?> exception)
            {
                failed.Add(new DeadLetterReplayFailure(letter.Id, exception.Error.Reason));
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                failed.Add(new DeadLetterReplayFailure(letter.Id, $"not acknowledged within {timeout.TotalSeconds:0} s; it may still have been published"));
            }
        }

        await replays.RecordAsync(replayed, cancellationToken);
        return new DeadLetterReplayResult(replayed, failed);
    }

    private ProducerConfig Config(TimeSpan timeout)
    {
        var config = EventPublisher.ProducerConfig(bootstrapServers, new KafkaOptions());
        config.ClientId = "ledger-dlq-replay";
        config.LingerMs = 0;
        // librdkafka gives up on its own by then, so a message is either acknowledged or reported failed.
        config.MessageTimeoutMs = (int)Math.Clamp(timeout.TotalMilliseconds, 1, int.MaxValue);
        return config;
    }
}
