using System.Globalization;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Ledger.Contracts;
using Ledger.Contracts.V1;

namespace Ledger.Messaging.Consumers;

/// <summary>A message from <see cref="KafkaTopics.AccountEvents"/>, read and checked: headers present, type known, body valid.</summary>
public sealed record AccountEventMessage(
    Guid EventId,
    string Type,
    Guid AccountId,
    long StreamVersion,
    long Sequence,
    DateTimeOffset Time,
    string? CorrelationId,
    IAccountIntegrationEvent Event,
    string Payload)
{
    /// <summary>The <c>ce_actor</c> extension: the subject that appended the event; null when the message has none.</summary>
    public string? Actor { get; init; }

    /// <summary>The <c>ce_actorrole</c> extension: the actor's role.</summary>
    public string? ActorRole { get; init; }
}

/// <summary>A message that can never be processed, whatever the number of attempts; it goes to the dead-letter topic.</summary>
public sealed class PoisonMessageException(string reason) : Exception(reason);

public static class AccountEventReader
{
    public static AccountEventMessage Read(ConsumeResult<string, byte[]> result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var headers = result.Message.Headers ?? [];
        var type = Header(headers, CloudEventHeaders.Type);
        if (!CloudEventTypes.AccountEventTypes.TryGetValue(type, out var contract))
        {
            throw new PoisonMessageException($"Unknown {CloudEventHeaders.Type} '{type}'.");
        }

        var eventId = Guid.TryParse(Header(headers, CloudEventHeaders.Id), out var id) ? id : throw new PoisonMessageException($"{CloudEventHeaders.Id} is not a UUID.");
        var accountId = Guid.TryParse(Header(headers, CloudEventHeaders.Subject), out var subject)
            ? subject
            : throw new PoisonMessageException($"{CloudEventHeaders.Subject} is not an account id.");
        var version = Number(headers, CloudEventHeaders.StreamVersion);
        var sequence = Number(headers, CloudEventHeaders.Sequence);
        var time = DateTimeOffset.TryParse(Header(headers, CloudEventHeaders.Time), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at
            : throw new PoisonMessageException($"{CloudEventHeaders.Time} is not an RFC 3339 time.");
        var correlation = Optional(headers, CloudEventHeaders.CorrelationId);
        string payload;
        IAccountIntegrationEvent body;
        try
        {
            payload = Encoding.UTF8.GetString(result.Message.Value ?? []);
            body = JsonSerializer.Deserialize(payload, contract, IntegrationJson.Options) as IAccountIntegrationEvent
                   ?? throw new PoisonMessageException("The body is empty.");
        }
        catch (Exception exception) when (exception is JsonException or DecoderFallbackException or ArgumentException)
        {
            throw new PoisonMessageException($"The body is not a valid {type} JSON document: {exception.Message}");
        }

        if (body.AccountId != accountId)
        {
            throw new PoisonMessageException($"The body's accountId {body.AccountId} differs from {CloudEventHeaders.Subject} {accountId}.");
        }

        return new AccountEventMessage(eventId, type, accountId, version, sequence, time, correlation, body, payload)
        {
            Actor = Optional(headers, CloudEventHeaders.Actor),
            ActorRole = Optional(headers, CloudEventHeaders.ActorRole),
        };
    }

    // Extensions are read under their CloudEvents name first, then under the name they had before (ExtensionHeaders).
    private static string? Optional(Headers headers, string name) =>
        headers.TryGetLastBytesOrFormer(name, out var bytes) ? Encoding.UTF8.GetString(bytes) : null;

    private static string Header(Headers headers, string name) =>
        headers.TryGetLastBytesOrFormer(name, out var bytes) ? Encoding.UTF8.GetString(bytes) : throw new PoisonMessageException($"Header {name} is missing.");

    private static long Number(Headers headers, string name) =>
        long.TryParse(Header(headers, name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new PoisonMessageException($"Header {name} is not a positive integer.");
}
