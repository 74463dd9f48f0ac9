using System.Globalization;
using System.Text;
using System.Text.Json;
using Ledger.Messaging.DeadLetters;

namespace Ledger.Cli.DeadLetters;

/// <summary>What <c>ledger dlq list --json</c> prints.</summary>
/// <param name="Matched">Dead letters that passed the filters; at most <c>--limit</c> of them, the oldest, are in <see cref="DeadLetters"/>.</param>
internal sealed record DeadLetterListView(string Topic, long Matched, IReadOnlyList<DeadLetterView> DeadLetters);

/// <summary>One dead letter: what the consumer said about it, and everything it carries.</summary>
/// <param name="Id">Its <c>partition:offset</c> on the dead-letter topic, what <c>ledger dlq replay --id</c> takes.</param>
/// <param name="PayloadEncoding"><c>json</c> when the value is UTF-8 JSON (then <see cref="Payload"/> is that JSON), else <c>base64</c>; null for no value.</param>
internal sealed record DeadLetterView(
    string Id,
    DateTimeOffset? DeadLetteredAt,
    string? ConsumerGroup,
    string? Reason,
    string? OriginalTopic,
    int? OriginalPartition,
    long? OriginalOffset,
    string? EventId,
    string? EventType,
    string? Key,
    string? ReplayedFrom,
    IReadOnlyList<HeaderView> Headers,
    string? PayloadEncoding,
    object? Payload,
    IReadOnlyList<ReplayView> Replays)
{
    public static DeadLetterView From(DeadLetter letter, IEnumerable<DeadLetterReplay> replays)
    {
        ArgumentNullException.ThrowIfNull(letter);
        var (encoding, payload) = PayloadOf(letter.Value);
        return new DeadLetterView(letter.Id.ToString(), letter.DeadLetteredAt, letter.ConsumerGroup, letter.Reason, letter.OriginalTopic,
            letter.OriginalPartition, letter.OriginalOffset, letter.EventId, letter.EventType, letter.Key, letter.ReplayedFrom,
            [.. letter.Headers.Select(HeaderView.From)], encoding, payload, [.. replays.Select(ReplayView.From)]);
    }

    private static (string? Encoding, object? Payload) PayloadOf(byte[]? value)
    {
        if (value is null)
        {
            return (null, null);
        }

        try
        {
            // The reader rejects invalid UTF-8 as well as invalid JSON.
            using var document = JsonDocument.Parse(value);
            return ("json", document.RootElement.Clone());
        }
        catch (JsonException)
        {
            return ("base64", Convert.ToBase64String(value));
        }
    }
}

/// <param name="Value">The value as UTF-8 text; null when it is not valid UTF-8 (then <see cref="ValueBase64"/> has it) or Kafka's null.</param>
internal sealed record HeaderView(string Name, string? Value, string? ValueBase64)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static HeaderView From(MessageHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        if (header.Value is null)
        {
            return new HeaderView(header.Name, null, null);
        }

        try
        {
            return new HeaderView(header.Name, StrictUtf8.GetString(header.Value), null);
        }
        catch (DecoderFallbackException)
        {
            return new HeaderView(header.Name, null, Convert.ToBase64String(header.Value));
        }
    }
}

/// <summary>One replay of a dead letter, as recorded in <c>ledger.dead_letter_replays</c>.</summary>
internal sealed record ReplayView(
    string Id,
    string? EventId,
    string? EventType,
    string? ConsumerGroup,
    string OriginalTopic,
    int OriginalPartition,
    long OriginalOffset,
    int ReplayedPartition,
    long ReplayedOffset,
    DateTimeOffset ReplayedAt,
    string? ReplayedBy)
{
    public static ReplayView From(DeadLetterReplay replay)
    {
        ArgumentNullException.ThrowIfNull(replay);
        return new ReplayView(replay.DeadLetter.ToString(), replay.EventId, replay.EventType, replay.ConsumerGroup, replay.OriginalTopic,
            replay.OriginalPartition, replay.OriginalOffset, replay.ReplayedPartition, replay.ReplayedOffset, replay.ReplayedAt, replay.ReplayedBy);
    }

    /// <summary>One line for people: where it went, when and by whom.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Id} (ce_id {EventId ?? "none"}, {EventType ?? "no ce_type"}, group {ConsumerGroup ?? "unknown"}) to {OriginalTopic} [{ReplayedPartition}] @{ReplayedOffset}");
}

/// <summary>What <c>ledger dlq replay --json</c> prints.</summary>
/// <param name="Skipped">With <c>--all</c>: dead letters left alone, and why (already replayed, or not replayable).</param>
/// <param name="Failed">Dead letters Kafka did not acknowledge; not recorded.</param>
internal sealed record ReplayResultView(IReadOnlyList<ReplayView> Replayed, IReadOnlyList<SkippedView> Skipped, IReadOnlyList<SkippedView> Failed);

internal sealed record SkippedView(string Id, string Reason);
