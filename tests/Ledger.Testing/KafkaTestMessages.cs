using System.Globalization;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Ledger.Contracts;
using Ledger.Contracts.V1;
using Ledger.Development.Kafka;
using Microsoft.Extensions.Logging;

namespace Ledger.Testing;

/// <summary>
/// Builds account-event messages as the relay writes them (key = account id, CloudEvents headers per docs/contracts.md,
/// v1 JSON values; the extensions under their CloudEvents names only, without the former names the relay still adds),
/// breaks them on purpose for dead-letter tests, and produces and reads them on an <see cref="EmbeddedKafka"/>. Consumer
/// tests build their input here so that none of them hand-writes headers.
/// </summary>
public static class KafkaTestMessages
{
    /// <summary>Upper bound of every wait in this helper; the embedded broker answers in milliseconds.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    public static readonly DateTimeOffset OccurredAt = new(2026, 3, 2, 14, 3, 0, 123, TimeSpan.Zero);

    public const string Currency = "EUR";

    // Global sequences must be unique and increasing across messages, as the event store's are.
    private static long _sequence;

    public static Message<string, byte[]> AccountCreated(Guid accountId, Guid? eventId = null, long streamVersion = 1) =>
        AccountEvent(CloudEventTypes.AccountCreated, new AccountCreatedV1(accountId, "Ada Lovelace", Currency, "0.00", OccurredAt),
            streamVersion, eventId);

    public static Message<string, byte[]> MoneyDeposited(Guid accountId, long streamVersion, string amount = "10.00", Guid? eventId = null) =>
        AccountEvent(CloudEventTypes.MoneyDeposited, new MoneyDepositedV1(accountId, amount, Currency, "test deposit", OccurredAt),
            streamVersion, eventId);

    public static Message<string, byte[]> MoneyWithdrawn(Guid accountId, long streamVersion, string amount = "10.00", Guid? eventId = null) =>
        AccountEvent(CloudEventTypes.MoneyWithdrawn, new MoneyWithdrawnV1(accountId, amount, Currency, "test withdrawal", OccurredAt),
            streamVersion, eventId);

    /// <summary>One leg of a transfer: the debit leg when <paramref name="accountId"/> is the source, else the credit leg.</summary>
    public static Message<string, byte[]> MoneyTransferred(Guid accountId, long streamVersion, Guid fromAccountId, Guid toAccountId,
        string amount = "10.00", Guid? transferId = null, Guid? eventId = null) =>
        AccountEvent(CloudEventTypes.MoneyTransferred,
            new MoneyTransferredV1(accountId, transferId ?? Guid.NewGuid(), fromAccountId, toAccountId,
                accountId == fromAccountId ? MoneyTransferredV1.Debit : MoneyTransferredV1.Credit, amount, Currency, "test transfer", OccurredAt),
            streamVersion, eventId);

    public static Message<string, byte[]> AccountFrozen(Guid accountId, long streamVersion, DateTimeOffset? at = null, Guid? eventId = null) =>
        AccountEvent(CloudEventTypes.AccountFrozen, new AccountFrozenV1(accountId, "test freeze", null, at ?? OccurredAt), streamVersion, eventId);

    public static Message<string, byte[]> AccountUnfrozen(Guid accountId, long streamVersion, DateTimeOffset? at = null, Guid? eventId = null) =>
        AccountEvent(CloudEventTypes.AccountUnfrozen, new AccountUnfrozenV1(accountId, "test unfreeze", at ?? OccurredAt), streamVersion, eventId);

    public static Message<string, byte[]> AccountClosed(Guid accountId, long streamVersion, DateTimeOffset? at = null, Guid? eventId = null) =>
        AccountEvent(CloudEventTypes.AccountClosed, new AccountClosedV1(accountId, null, at ?? OccurredAt), streamVersion, eventId);

    /// <summary>A plain hold, without expiry.</summary>
    public static Message<string, byte[]> HoldPlaced(Guid accountId, long streamVersion, Guid holdId, string amount = "10.00",
        DateTimeOffset? at = null, Guid? eventId = null) =>
        AccountEvent(CloudEventTypes.HoldPlaced, new HoldPlacedV1(accountId, holdId, amount, Currency, "test hold", null, HoldPlacedV1.Hold,
            null, null, at ?? OccurredAt), streamVersion, eventId);

    /// <summary>
    /// One leg of a capture of the whole hold: the debit when <paramref name="accountId"/> is the source, else the credit leg
    /// of a capture to it.
    /// </summary>
    public static Message<string, byte[]> HoldCaptured(Guid accountId, long streamVersion, Guid holdId, Guid fromAccountId, Guid? toAccountId,
        string amount = "10.00", DateTimeOffset? at = null, Guid? eventId = null) =>
        AccountEvent(CloudEventTypes.HoldCaptured, new HoldCapturedV1(accountId, holdId, fromAccountId, toAccountId,
            accountId == fromAccountId ? HoldCapturedV1.Debit : HoldCapturedV1.Credit, amount, amount, Currency, "test hold", null,
            at ?? OccurredAt), streamVersion, eventId);

    public static Message<string, byte[]> HoldReleased(Guid accountId, long streamVersion, Guid holdId, string amount = "10.00",
        DateTimeOffset? at = null, Guid? eventId = null) =>
        AccountEvent(CloudEventTypes.HoldReleased, new HoldReleasedV1(accountId, holdId, amount, Currency, HoldReleasedV1.Released, null,
            at ?? OccurredAt), streamVersion, eventId);

    /// <summary>A well-formed message for any v1 body; the sequence is taken from a process-wide counter unless given.</summary>
    public static Message<string, byte[]> AccountEvent(string type, IAccountIntegrationEvent body, long streamVersion, Guid? eventId = null,
        long? sequence = null, string? correlationId = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        var headers = new Headers
        {
            { CloudEventHeaders.SpecVersion, Utf8(CloudEventHeaders.SpecVersionValue) },
            { CloudEventHeaders.Id, Utf8((eventId ?? Guid.NewGuid()).ToString()) },
            { CloudEventHeaders.Source, Utf8(CloudEventHeaders.SourceValue) },
            { CloudEventHeaders.Type, Utf8(type) },
            { CloudEventHeaders.Time, Utf8(body.OccurredAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture)) },
            { CloudEventHeaders.Subject, Utf8(body.AccountId.ToString()) },
            { CloudEventHeaders.ContentType, Utf8(CloudEventHeaders.ContentTypeValue) },
            { CloudEventHeaders.DataSchema, Utf8(ContractSchemas.Of(type).DataSchema) },
            { CloudEventHeaders.StreamVersion, Utf8(streamVersion.ToString(CultureInfo.InvariantCulture)) },
            { CloudEventHeaders.Sequence, Utf8((sequence ?? Interlocked.Increment(ref _sequence)).ToString(CultureInfo.InvariantCulture)) },
        };
        if (correlationId is not null)
        {
            headers.Add(CloudEventHeaders.CorrelationId, Utf8(correlationId));
        }

        return new Message<string, byte[]>
        {
            Key = body.AccountId.ToString(),
            Value = JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), IntegrationJson.Options),
            Headers = headers,
        };
    }

    /// <summary>A copy without any header of that name.</summary>
    public static Message<string, byte[]> WithoutHeader(this Message<string, byte[]> message, string name)
    {
        var copy = Copy(message);
        copy.Headers.Remove(name);
        return copy;
    }

    /// <summary>A copy whose header of that name has the given value (and only that value).</summary>
    public static Message<string, byte[]> WithHeader(this Message<string, byte[]> message, string name, string value)
    {
        var copy = Copy(message);
        copy.Headers.Remove(name);
        copy.Headers.Add(name, Utf8(value));
        return copy;
    }

    /// <summary>
    /// A copy as the relay wrote it before the ledger's extensions took their CloudEvents names: each under its former name
    /// only (<see cref="CloudEventHeaders.FormerNames"/>), and no <c>ce_dataschema</c>.
    /// </summary>
    public static Message<string, byte[]> WithFormerHeaderNames(this Message<string, byte[]> message)
    {
        var copy = Copy(message);
        copy.Headers.Remove(CloudEventHeaders.DataSchema);
        foreach (var (name, former) in CloudEventHeaders.FormerNames)
        {
            if (copy.Headers.TryGetLastBytes(name, out var value))
            {
                copy.Headers.Remove(name);
                copy.Headers.Add(former, value);
            }
        }

        return copy;
    }

    /// <summary>A copy with another body, e.g. <c>"not json"</c>.</summary>
    public static Message<string, byte[]> WithBody(this Message<string, byte[]> message, string body)
    {
        var copy = Copy(message);
        copy.Value = Utf8(body);
        return copy;
    }

    /// <summary>The last value of a header as text, or null when absent.</summary>
    public static string? Header(this Headers? headers, string name) =>
        headers is not null && headers.TryGetLastBytes(name, out var bytes) ? Encoding.UTF8.GetString(bytes) : null;

    /// <summary>The message's <c>ce_id</c>.</summary>
    public static Guid EventId(this Message<string, byte[]> message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return Guid.Parse(message.Headers.Header(CloudEventHeaders.Id) ?? throw new InvalidOperationException("The message has no ce_id."));
    }

    /// <summary>An idempotent producer that waits for every acknowledgement, as the relay's does.</summary>
    public static IProducer<string, byte[]> CreateProducer(EmbeddedKafka kafka)
    {
        ArgumentNullException.ThrowIfNull(kafka);
        return new ProducerBuilder<string, byte[]>(new ProducerConfig
        {
            BootstrapServers = kafka.BootstrapServers,
            ClientId = "ledger-tests",
            Acks = Acks.All,
            EnableIdempotence = true,
            LingerMs = 0,
            MessageTimeoutMs = (int)Patience.TotalMilliseconds,
            // Same partitioner as the relay, so a key lands where the relay would put it.
            Partitioner = Partitioner.Murmur2Random,
        }).Build();
    }

    /// <summary>Produces to <see cref="KafkaTopics.AccountEvents"/> and waits for the acknowledgement.</summary>
    public static Task<DeliveryResult<string, byte[]>> ProduceAccountEventAsync(this IProducer<string, byte[]> producer, Message<string, byte[]> message)
    {
        ArgumentNullException.ThrowIfNull(producer);
        return producer.ProduceAsync(KafkaTopics.AccountEvents, message).WaitAsync(Patience);
    }

    /// <summary>Reads a topic from the beginning until <paramref name="count"/> messages arrived or <see cref="Patience"/> ran out.</summary>
    public static IReadOnlyList<ConsumeResult<string, byte[]>> ReadTopic(EmbeddedKafka kafka, string topic, int count)
    {
        ArgumentNullException.ThrowIfNull(kafka);
        return LedgerKafka.Read(kafka.BootstrapServers, topic, count, Patience);
    }

    private static Message<string, byte[]> Copy(Message<string, byte[]> message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var headers = new Headers();
        foreach (var header in message.Headers ?? [])
        {
            headers.Add(header.Key, header.GetValueBytes());
        }

        return new Message<string, byte[]> { Key = message.Key, Value = message.Value, Headers = headers, Timestamp = message.Timestamp };
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
