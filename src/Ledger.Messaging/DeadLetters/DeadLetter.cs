using System.Globalization;
using System.Text;
using Ledger.Contracts;

namespace Ledger.Messaging.DeadLetters;

/// <summary>Where a message sits on the dead-letter topic; written <c>partition:offset</c>, it is the dead letter's id for operators.</summary>
public readonly record struct DeadLetterId(int Partition, long Offset)
{
    /// <summary>Reads <c>partition:offset</c>, both decimal and not negative (e.g. <c>2:41</c>).</summary>
    public static bool TryParse(string? text, out DeadLetterId id)
    {
        id = default;
        var parts = text?.Split(':') ?? [];
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var partition)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
        {
            id = new DeadLetterId(partition, offset);
            return true;
        }

        return false;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Partition}:{Offset}");
}

/// <summary>One header of a Kafka message, as it was on the wire (Kafka allows a null value).</summary>
public sealed record MessageHeader(string Name, byte[]? Value);

/// <summary>
/// A message of <see cref="KafkaTopics.AccountEventsDeadLetters"/>: the original key, value and headers, plus the
/// <c>ledger-dlq-*</c> headers the consumer loop added to say which group set it aside, why, and where it came from.
/// </summary>
/// <param name="DeadLetteredAt">The dead-letter message's timestamp: when the consumer set it aside; null if the broker gave none.</param>
public sealed record DeadLetter(DeadLetterId Id, DateTimeOffset? DeadLetteredAt, string? Key, byte[]? Value, IReadOnlyList<MessageHeader> Headers)
{
    public string? Reason => Header(CloudEventHeaders.DeadLetterReason);

    public string? ConsumerGroup => Header(CloudEventHeaders.DeadLetterConsumerGroup);

    public string? OriginalTopic => Header(CloudEventHeaders.DeadLetterTopic);

    public int? OriginalPartition =>
        int.TryParse(Header(CloudEventHeaders.DeadLetterPartition), NumberStyles.None, CultureInfo.InvariantCulture, out var partition) ? partition : null;

    public long? OriginalOffset =>
        long.TryParse(Header(CloudEventHeaders.DeadLetterOffset), NumberStyles.None, CultureInfo.InvariantCulture, out var offset) ? offset : null;

    public string? EventId => Header(CloudEventHeaders.Id);

    public string? EventType => Header(CloudEventHeaders.Type);

    /// <summary>Set when this dead letter is a replayed message that failed again: the dead letter that replay came from.</summary>
    public string? ReplayedFrom => Header(CloudEventHeaders.DeadLetterReplayedFrom);

    /// <summary>
    /// Why this message cannot be put back where it came from, or null when it can: it must say its original partition and
    /// offset, and come from <see cref="KafkaTopics.AccountEvents"/>, the one topic consumers dead-letter from (so a replay
    /// never writes to any other topic, the dead-letter topic included).
    /// </summary>
    public string? NotReplayableBecause => OriginalTopic switch
    {
        null => $"header {CloudEventHeaders.DeadLetterTopic} is missing",
        not KafkaTopics.AccountEvents => $"it comes from {OriginalTopic}; only dead letters of {KafkaTopics.AccountEvents} are replayed",
        _ when OriginalPartition is null => $"header {CloudEventHeaders.DeadLetterPartition} is missing or not a partition",
        _ when OriginalOffset is null => $"header {CloudEventHeaders.DeadLetterOffset} is missing or not an offset",
        _ => null,
    };

    /// <summary>The last value of a header as UTF-8 text, or null when the message has none.</summary>
    public string? Header(string name)
    {
        for (var i = Headers.Count - 1; i >= 0; i--)
        {
            if (string.Equals(Headers[i].Name, name, StringComparison.Ordinal))
            {
                return Headers[i].Value is { } value ? Encoding.UTF8.GetString(value) : null;
            }
        }

        return null;
    }
}
