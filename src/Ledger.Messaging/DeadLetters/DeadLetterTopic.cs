using Confluent.Kafka;
using Ledger.Contracts;

namespace Ledger.Messaging.DeadLetters;

/// <summary>
/// Reads <see cref="KafkaTopics.AccountEventsDeadLetters"/> without a consumer group: partitions are assigned by hand,
/// from where asked up to the end each had when the read began (its high watermark), so a read commits nothing, disturbs
/// no consumer, and ends even while consumers keep adding dead letters. librdkafka wants a <c>group.id</c> on every
/// consumer, but uses it only to subscribe or commit, neither of which happens here.
/// </summary>
/// <param name="timeout">Upper bound of the whole read, metadata and watermark queries included.</param>
public sealed class DeadLetterTopic(string bootstrapServers, TimeSpan timeout)
{
    public const string Name = KafkaTopics.AccountEventsDeadLetters;

    // Never sent to the broker (no subscribe, no commit); named so that it says what it is if it ever shows up.
    private const string ReaderGroup = "ledger-dlq-reader";

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Every dead letter on the topic when the read began, partition by partition interleaved as Kafka delivers them.</summary>
    public IEnumerable<DeadLetter> ReadAll(CancellationToken cancellationToken) => Read(_ => (0, long.MaxValue), cancellationToken);

    /// <summary>The dead letters with these ids that are on the topic; an id not there (never written, or gone by retention) is left out.</summary>
    public IReadOnlyList<DeadLetter> Find(IReadOnlyCollection<DeadLetterId> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var wanted = ids.ToHashSet();
        var ranges = ids.GroupBy(id => id.Partition)
            .ToDictionary(partition => partition.Key, partition => (partition.Min(id => id.Offset), partition.Max(id => id.Offset) + 1));
        return [.. Read(partition => ranges.TryGetValue(partition, out var range) ? range : null, cancellationToken).Where(letter => wanted.Contains(letter.Id))];
    }

    /// <summary>Reads, on each partition <paramref name="range"/> names, offsets From (inclusive) to To (exclusive), within what the partition holds.</summary>
    private IEnumerable<DeadLetter> Read(Func<int, (long From, long To)?> range, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        using var consumer = new ConsumerBuilder<string?, byte[]?>(Config())
            .SetErrorHandler((_, _) => { })
            .SetLogHandler((_, _) => { })
            .Build();
        var ends = new Dictionary<int, long>();
        var starts = new List<TopicPartitionOffset>();
        foreach (var partition in Partitions(consumer))
        {
            var watermarks = consumer.QueryWatermarkOffsets(new TopicPartition(Name, partition), Remaining(deadline));
            if (range(partition) is not { } wanted)
            {
                continue;
            }

            var (from, to) = (Math.Max(wanted.From, watermarks.Low.Value), Math.Min(wanted.To, watermarks.High.Value));
            if (from < to)
            {
                ends[partition] = to;
                starts.Add(new TopicPartitionOffset(Name, partition, from));
            }
        }

        consumer.Assign(starts);
        while (ends.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            _ = Remaining(deadline);
            var result = consumer.Consume(PollInterval);
            if (result is null || !ends.TryGetValue(result.Partition.Value, out var end))
            {
                continue;
            }

            if (!result.IsPartitionEOF && result.Offset.Value < end)
            {
                yield return ToDeadLetter(result);
            }

            // At the last offset wanted, or at the partition's end: offsets need not be contiguous (compaction, transaction
            // markers), so the last one wanted may never come as a message.
            if (result.IsPartitionEOF || result.Offset.Value >= end - 1)
            {
                ends.Remove(result.Partition.Value);
            }
        }
    }

    private IEnumerable<int> Partitions(IConsumer<string?, byte[]?> consumer)
    {
        using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        var topic = admin.GetMetadata(Name, timeout).Topics.SingleOrDefault(topic => topic.Topic == Name);
        if (topic is null || topic.Error.IsError)
        {
            throw new KafkaException(topic?.Error ?? new Error(ErrorCode.UnknownTopicOrPart, $"topic {Name} not found"));
        }

        return [.. topic.Partitions.Select(partition => partition.PartitionId).Order()];
    }

    private static TimeSpan Remaining(DateTime deadline)
    {
        var remaining = deadline - DateTime.UtcNow;
        return remaining > TimeSpan.Zero
            ? remaining
            : throw new TimeoutException($"Kafka did not deliver {Name} to its end in time.");
    }

    private ConsumerConfig Config() => new()
    {
        BootstrapServers = bootstrapServers,
        GroupId = ReaderGroup,
        ClientId = ReaderGroup,
        EnableAutoCommit = false,
        EnableAutoOffsetStore = false,
        // The end is known only once each partition reports it.
        EnablePartitionEof = true,
        // From the log start if retention removed the first offset asked for after the watermarks were read.
        AutoOffsetReset = AutoOffsetReset.Earliest,
        // Dead letters are never written in transactions; read_uncommitted reads up to the high watermark, so the read
        // cannot stop short of it at an open transaction's first offset.
        IsolationLevel = IsolationLevel.ReadUncommitted,
        FetchWaitMaxMs = 50,
        SocketTimeoutMs = (int)Math.Clamp(timeout.TotalMilliseconds, 10, int.MaxValue),
    };

    private static DeadLetter ToDeadLetter(ConsumeResult<string?, byte[]?> result) => new(
        new DeadLetterId(result.Partition.Value, result.Offset.Value),
        result.Message.Timestamp.Type == TimestampType.NotAvailable ? null : new DateTimeOffset(result.Message.Timestamp.UtcDateTime, TimeSpan.Zero),
        result.Message.Key,
        result.Message.Value,
        [.. (result.Message.Headers ?? []).Select(header => new MessageHeader(header.Key, header.GetValueBytes()))]);
}
