namespace Ledger.Contracts;

/// <summary>
/// Header names of the CloudEvents 1.0 Kafka binary binding: the context attributes as <c>ce_&lt;name&gt;</c> headers,
/// the ledger's extension attributes among them, plus the ledger's dead-letter headers. Header values are UTF-8 strings.
/// </summary>
public static class CloudEventHeaders
{
    public const string SpecVersion = "ce_specversion";
    public const string Id = "ce_id";
    public const string Source = "ce_source";
    public const string Type = "ce_type";
    public const string Time = "ce_time";
    public const string Subject = "ce_subject";
    public const string ContentType = "content-type";

    /// <summary>The URI of the JSON Schema of the message's data: the <c>$id</c> of its published schema (<see cref="ContractSchemas"/>).</summary>
    public const string DataSchema = "ce_dataschema";

    /// <summary>
    /// CloudEvents extension attributes of the ledger (names a-z0-9 only): the event's version in its account's stream and
    /// its global sequence in the event store. Not the documented <c>sequence</c> extension, whose values must sort as
    /// strings.
    /// </summary>
    public const string StreamVersion = "ce_ledgerstreamversion";
    public const string Sequence = "ce_ledgersequence";

    /// <summary>The CloudEvents correlation extension's <c>correlationid</c>: the request's correlation id, when there was one.</summary>
    public const string CorrelationId = "ce_correlationid";

    /// <summary>
    /// The names those three had before they followed CloudEvents. Messages already on the topics and in dead letters carry
    /// them, so readers take the new name first and then the former one; the relay still writes both until the former names
    /// are withdrawn (docs/contracts.md).
    /// </summary>
    public static IReadOnlyDictionary<string, string> FormerNames { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [StreamVersion] = "ledger-stream-version",
        [Sequence] = "ledger-sequence",
        [CorrelationId] = "correlation-id",
    };

    /// <summary>
    /// CloudEvents extension attributes (names a-z0-9 only): who appended the event, the authenticated subject and its
    /// role. Absent on events appended before actors were recorded.
    /// </summary>
    public const string Actor = "ce_actor";
    public const string ActorRole = "ce_actorrole";

    /// <summary>
    /// W3C Trace Context for Kafka: the span that produced the message (<c>00-&lt;trace id&gt;-&lt;span id&gt;-&lt;flags&gt;</c>) and
    /// the trace's vendor state, if any. Not CloudEvents attributes: the names tracing libraries read from Kafka headers.
    /// A message from before traces were carried, or of an event appended outside a trace, has none.
    /// </summary>
    public const string TraceParent = "traceparent";
    public const string TraceState = "tracestate";

    public const string SpecVersionValue = "1.0";
    public const string SourceValue = "/ledger";
    public const string ContentTypeValue = "application/json";

    /// <summary>Dead-letter headers: why a message was set aside and where it came from.</summary>
    public const string DeadLetterReason = "ledger-dlq-reason";
    public const string DeadLetterConsumerGroup = "ledger-dlq-consumer-group";
    public const string DeadLetterTopic = "ledger-dlq-original-topic";
    public const string DeadLetterPartition = "ledger-dlq-original-partition";
    public const string DeadLetterOffset = "ledger-dlq-original-offset";

    /// <summary>
    /// On a message published again from the dead-letter topic (<c>ledger dlq replay</c>): the dead letter it came from,
    /// as <c>partition:offset</c> of the dead-letter topic. A replayed message that fails again is dead-lettered with it.
    /// </summary>
    public const string DeadLetterReplayedFrom = "ledger-dlq-replayed-from";

    /// <summary>Every header the dead-letter path adds; a replay removes them all before it adds its own <see cref="DeadLetterReplayedFrom"/>.</summary>
    public static IReadOnlyList<string> DeadLetterHeaders { get; } =
        [DeadLetterReason, DeadLetterConsumerGroup, DeadLetterTopic, DeadLetterPartition, DeadLetterOffset, DeadLetterReplayedFrom];
}

/// <summary>The <c>ce_type</c> of each integration event.</summary>
public static class CloudEventTypes
{
    public const string AccountCreated = "ledger.account.created.v1";
    public const string MoneyDeposited = "ledger.money.deposited.v1";
    public const string MoneyWithdrawn = "ledger.money.withdrawn.v1";
    public const string MoneyTransferred = "ledger.money.transferred.v1";
    public const string AccountFrozen = "ledger.account.frozen.v1";
    public const string AccountUnfrozen = "ledger.account.unfrozen.v1";
    public const string AccountClosed = "ledger.account.closed.v1";
    public const string HoldPlaced = "ledger.hold.placed.v1";
    public const string HoldCaptured = "ledger.hold.captured.v1";
    public const string HoldReleased = "ledger.hold.released.v1";
    public const string FraudAlertRaised = "ledger.fraud.alert-raised.v1";

    public static IReadOnlyDictionary<string, Type> AccountEventTypes { get; } = new Dictionary<string, Type>(StringComparer.Ordinal)
    {
        [AccountCreated] = typeof(V1.AccountCreatedV1),
        [MoneyDeposited] = typeof(V1.MoneyDepositedV1),
        [MoneyWithdrawn] = typeof(V1.MoneyWithdrawnV1),
        [MoneyTransferred] = typeof(V1.MoneyTransferredV1),
        [AccountFrozen] = typeof(V1.AccountFrozenV1),
        [AccountUnfrozen] = typeof(V1.AccountUnfrozenV1),
        [AccountClosed] = typeof(V1.AccountClosedV1),
        [HoldPlaced] = typeof(V1.HoldPlacedV1),
        [HoldCaptured] = typeof(V1.HoldCapturedV1),
        [HoldReleased] = typeof(V1.HoldReleasedV1),
    };
}
