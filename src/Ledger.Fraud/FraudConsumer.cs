using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Ledger.Contracts;
using Ledger.Messaging;
using Ledger.Messaging.Consumers;
using Ledger.Messaging.Relay;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Ledger.Fraud;

/// <summary>
/// Consumer group <c>ledger-fraud</c>: evaluates every debit and deposit against <see cref="FraudRules"/> in event time.
/// For one message it (1) records the movement and inserts the alerts it raised in one PostgreSQL transaction, then
/// (2) publishes the account's unpublished alerts to <see cref="KafkaTopics.FraudAlerts"/>, waits for Kafka's
/// acknowledgement and marks them published, and only then returns, so that <see cref="ConsumerLoop"/> stores the
/// offset. A redelivered event is already recorded and is not evaluated again; a crash between (1) and (2) leaves its
/// alerts unpublished, and the redelivery publishes them, with the same <c>ce_id</c> (the alert id). An alert of a rule
/// with <c>FreezeAccount</c> is stored with a pending freeze in the same transaction, which <see cref="FraudFreezes"/>
/// then issues through the API (ADR-025).
/// </summary>
public sealed partial class FraudConsumer : ConsumerLoop
{
    public const string Group = "ledger-fraud";

    /// <summary>The fraud module's spans and meter (alerts published, alerts raised, freezes issued).</summary>
    public const string TelemetryName = "Ledger.Fraud";

    private static readonly ActivitySource Spans = new(TelemetryName);
    private static readonly Meter Meter = new(TelemetryName);
    private static readonly Counter<long> AlertsRaised = Meter.CreateCounter<long>("ledger.fraud.alerts", "{alert}",
        "Fraud alerts raised, per rule (large-debit, velocity, deposit-drain).");

    /// <summary>Alerts published per round trip to the store; more are published in further rounds.</summary>
    public const int PublishBatchMax = 100;

    private readonly FraudStore _store;
    private readonly FraudFreezes _freezes;
    private readonly FraudOptions _fraud;
    private readonly TimeProvider _clock;
    private readonly ILogger<FraudConsumer> _logger;
    private readonly IProducer<string, byte[]> _producer;
    private bool _disposed;

    public FraudConsumer(KafkaConnection connection, IOptions<KafkaOptions> kafkaOptions, IOptions<FraudOptions> fraudOptions, FraudStore store,
        FraudFreezes freezes, ConsumerGapStore gaps, TimeProvider clock, ILogger<FraudConsumer> logger)
        : base(connection, kafkaOptions, gaps, clock, logger)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(kafkaOptions);
        ArgumentNullException.ThrowIfNull(fraudOptions);
        _store = store;
        _freezes = freezes;
        _fraud = fraudOptions.Value;
        // Every rule's counter exists from the start at zero, so that Prometheus's increase() sees the first alert.
        foreach (var rule in (string[])[FraudRules.LargeDebit, FraudRules.Velocity, FraudRules.DepositDrain])
        {
            AlertsRaised.Add(0, new KeyValuePair<string, object?>("rule", rule));
        }

        _clock = clock;
        _logger = logger;
        var config = EventPublisher.ProducerConfig(connection.BootstrapServers, kafkaOptions.Value);
        config.ClientId = Group;
        _producer = new ProducerBuilder<string, byte[]>(config)
            .SetErrorHandler((_, error) =>
            {
                if (_errors.ShouldLog(error))
                {
                    LogClientError(_logger, error.Code, error.Reason);
                }
            })
            .SetLogHandler((_, message) => KafkaLog.Write(_logger, message))
            .Build();
    }

    private readonly KafkaErrorFilter _errors = new();

    protected override string GroupId => Group;

    protected override async Task HandleAsync(ConsumeResult<string, byte[]> result, CancellationToken cancellationToken)
    {
        var movement = FraudMovement.From(AccountEventReader.Read(result));
        if (movement is null)
        {
            return;
        }

        await using (var transaction = await _store.BeginAsync(cancellationToken))
        {
            // A movement recorded before was evaluated then, and its alerts committed with it: evaluating it again
            // against a history that has grown since could only invent alerts its first delivery did not raise.
            if (await transaction.RecordAsync(movement, cancellationToken))
            {
                var alerts = await EvaluateAsync(transaction, movement, FraudMovement.ToMicroseconds(_clock.GetUtcNow()), cancellationToken);
                var inserted = await transaction.InsertAlertsAsync(alerts, alert => _fraud.Freezes(alert.Rule), cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                if (alerts.Exists(alert => _fraud.Freezes(alert.Rule)))
                {
                    _freezes.Wake();
                }

                foreach (var alert in alerts)
                {
                    AlertsRaised.Add(1, new KeyValuePair<string, object?>("rule", alert.Rule));
                    LogAlertRaised(_logger, alert.Rule, alert.AccountId, alert.AlertId, alert.EventIds.Count);
                }

                if (inserted < alerts.Count)
                {
                    LogAlertsKnown(_logger, alerts.Count - inserted, movement.EventId);
                }
            }
        }

        await PublishPendingAsync(movement.AccountId, cancellationToken);
    }

    /// <summary>Every enabled rule, against the account's history read inside the transaction.</summary>
    private async Task<List<FraudAlert>> EvaluateAsync(FraudTransaction transaction, FraudMovement movement, DateTimeOffset detectedAt,
        CancellationToken cancellationToken)
    {
        var alerts = new List<FraudAlert>();
        var (account, currency, at) = (movement.AccountId, movement.Currency, movement.OccurredAt);
        if (movement.Kind == MovementKind.Deposit)
        {
            if (_fraud.DepositDrain.Enabled)
            {
                var debits = await transaction.MovementsAsync(MovementKind.Debit, account, currency, at, at + _fraud.DepositDrain.Window, cancellationToken);
                alerts.AddIfPresent(FraudRules.DepositDrainAlert(movement, debits, _fraud.DepositDrain, detectedAt));
            }

            return alerts;
        }

        if (_fraud.LargeDebit.Enabled)
        {
            alerts.AddIfPresent(FraudRules.LargeDebitAlert(movement, _fraud.LargeDebit, detectedAt));
        }

        if (_fraud.Velocity.Enabled)
        {
            var window = _fraud.Velocity.Window;
            var history = await transaction.MovementsAsync(MovementKind.Debit, account, currency, at - window, at + window, cancellationToken);
            alerts.AddRange(FraudRules.VelocityAlerts(movement, history, _fraud.Velocity, detectedAt));
        }

        if (_fraud.DepositDrain.Enabled)
        {
            // The debit can complete the drain of any deposit in [t - window, t); each deposit is alerted at most once.
            var window = _fraud.DepositDrain.Window;
            var deposits = await transaction.MovementsAsync(MovementKind.Deposit, account, currency, at - window, at, cancellationToken);
            var candidates = FraudRules.DrainCandidates(movement, deposits, _fraud.DepositDrain).ToList();
            var drained = await transaction.DrainedDepositsAsync(account, candidates.Select(deposit => deposit.EventId).ToList(), cancellationToken);
            candidates.RemoveAll(deposit => drained.Contains(deposit.EventId));
            if (candidates.Count > 0)
            {
                var debits = await transaction.MovementsAsync(MovementKind.Debit, account, currency, at - window, at + window, cancellationToken);
                alerts.AddRange(candidates.Select(deposit => FraudRules.DepositDrainAlert(deposit, debits, _fraud.DepositDrain, detectedAt)).OfType<FraudAlert>());
            }
        }

        return alerts;
    }

    /// <summary>Publishes the account's unpublished alerts, waits for every acknowledgement, then marks them published.</summary>
    private async Task PublishPendingAsync(Guid accountId, CancellationToken cancellationToken)
    {
        while (true)
        {
            var pending = await _store.UnpublishedAsync(accountId, PublishBatchMax, cancellationToken);
            if (pending.Count == 0)
            {
                return;
            }

            // Each alert message carries on the trace of the message being processed (the consumer's span), so a teller's
            // request, its events and the alert they caused are one trace (ADR-022).
            using var spans = new SendSpans(Spans, KafkaTopics.FraudAlerts);
            var parent = Activity.Current?.Context ?? default;
            var messages = pending.Select(alert => spans.Add(ToMessage(alert), parent)).ToList();
            // A failed delivery throws: the loop retries the message, and this publishes the same alerts again.
            await Task.WhenAll(messages.Select(message => _producer.ProduceAsync(KafkaTopics.FraudAlerts, message, cancellationToken)));
            spans.Acknowledged();
            await _store.MarkPublishedAsync(pending.Select(alert => alert.AlertId).ToList(), cancellationToken);
            LogPublished(_logger, pending.Count, accountId);
            if (pending.Count < PublishBatchMax)
            {
                return;
            }
        }
    }

    /// <summary>The Kafka message of an alert: key = account id, CloudEvents headers with <c>ce_id</c> = alert id.</summary>
    public static Message<string, byte[]> ToMessage(FraudAlert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var headers = new Headers
        {
            { CloudEventHeaders.SpecVersion, Utf8(CloudEventHeaders.SpecVersionValue) },
            { CloudEventHeaders.Id, Utf8(alert.AlertId.ToString()) },
            { CloudEventHeaders.Source, Utf8(CloudEventHeaders.SourceValue) },
            { CloudEventHeaders.Type, Utf8(CloudEventTypes.FraudAlertRaised) },
            // The alert happened when it was detected; the events' own time is in the body's occurredAt.
            { CloudEventHeaders.Time, Utf8(alert.DetectedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture)) },
            { CloudEventHeaders.Subject, Utf8(alert.AccountId.ToString()) },
            { CloudEventHeaders.ContentType, Utf8(CloudEventHeaders.ContentTypeValue) },
            { CloudEventHeaders.DataSchema, Utf8(ContractSchemas.Of(CloudEventTypes.FraudAlertRaised).DataSchema) },
        };
        return new Message<string, byte[]>
        {
            Key = alert.AccountId.ToString(),
            Value = JsonSerializer.SerializeToUtf8Bytes(alert.ToContract(), IntegrationJson.Options),
            Headers = headers,
        };
    }

    public override void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        // Unacknowledged alerts stay unpublished in the store and go out again on redelivery.
        _producer.Flush(TimeSpan.FromSeconds(5));
        _producer.Dispose();
        base.Dispose();
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fraud alert {Rule} on account {AccountId}: {AlertId} ({Events} events)")]
    private static partial void LogAlertRaised(ILogger logger, string rule, Guid accountId, Guid alertId, int events);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} alert(s) raised by event {EventId} were stored before")]
    private static partial void LogAlertsKnown(ILogger logger, int count, Guid eventId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Published {Count} fraud alert(s) of account {AccountId}")]
    private static partial void LogPublished(ILogger logger, int count, Guid accountId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fraud alert producer error {Code}: {Reason}")]
    private static partial void LogClientError(ILogger logger, ErrorCode code, string reason);
}

internal static class AlertListExtensions
{
    public static void AddIfPresent(this List<FraudAlert> alerts, FraudAlert? alert)
    {
        if (alert is not null)
        {
            alerts.Add(alert);
        }
    }
}
