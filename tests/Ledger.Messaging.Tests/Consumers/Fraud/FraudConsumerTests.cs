using System.Text.Json;
using Confluent.Kafka;
using Ledger.Contracts;
using Ledger.Fraud;
using Ledger.Testing;
using static Ledger.Messaging.Tests.Consumers.Fraud.FraudMessages;
using Xunit.Abstractions;

namespace Ledger.Messaging.Tests.Consumers.Fraud;

/// <summary>
/// The fraud consumer end to end: account events on an embedded Kafka, alerts in a fresh PostgreSQL database and on
/// <c>ledger.fraud-alerts</c>. Each test has its own cluster and database. The restart is in
/// <see cref="FraudConsumerRestartTests"/>.
/// </summary>
public sealed class FraudConsumerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task LargeWithdrawal_OneStoredAlertAndOneMessage()
    {
        await using var scenario = await FraudScenario.StartAsync(output);
        var account = Guid.NewGuid();
        var withdrawal = Withdrawal(account, 1, "15000.00", T0);

        await scenario.ProduceAsync(withdrawal);

        var alert = (await scenario.WaitForPublishedAlertsAsync(1)).Single();
        alert.Rule.Should().Be(FraudRules.LargeDebit);
        alert.EventIds.Should().Equal(withdrawal.EventId());
        var message = scenario.ReadAlertMessages(1).Single().Message;
        message.Key.Should().Be(account.ToString());
        message.Headers.Header(CloudEventHeaders.Id).Should().Be(alert.AlertId.ToString());
        message.Headers.Header(CloudEventHeaders.Type).Should().Be("ledger.fraud.alert-raised.v1");
        message.Headers.Header(CloudEventHeaders.SpecVersion).Should().Be("1.0");
        message.Headers.Header(CloudEventHeaders.Source).Should().Be("/ledger");
        message.Headers.Header(CloudEventHeaders.Subject).Should().Be(account.ToString());
        message.Headers.Header(CloudEventHeaders.Time).Should().Be("2026-03-02T14:30:00.123000Z");
        message.Headers.Header(CloudEventHeaders.ContentType).Should().Be("application/json");
        message.Headers.Header(CloudEventHeaders.DataSchema).Should().Be("urn:ledger:schema:ledger.fraud.alert-raised.v1");
        ContractSchemaCheck.Problems(message.Headers.Header(CloudEventHeaders.DataSchema)!, System.Text.Encoding.UTF8.GetString(message.Value))
            .Should().BeEmpty();
        using var json = JsonDocument.Parse(message.Value);
        json.RootElement.GetProperty("alertId").GetGuid().Should().Be(alert.AlertId);
        json.RootElement.GetProperty("rule").GetString().Should().Be("large-debit");
        json.RootElement.GetProperty("accountId").GetGuid().Should().Be(account);
        json.RootElement.GetProperty("eventIds").EnumerateArray().Select(id => id.GetGuid()).Should().Equal(withdrawal.EventId());
        json.RootElement.GetProperty("amount").GetString().Should().Be("15000.00");
        json.RootElement.GetProperty("currency").GetString().Should().Be("EUR");
        json.RootElement.GetProperty("detectedAt").GetDateTimeOffset().Should().Be(DetectedAt);
        json.RootElement.GetProperty("occurredAt").GetDateTimeOffset().Should().Be(T0);
        scenario.AlertMessageCount().Should().Be(1);
    }

    /// <summary>
    /// A hold placed for a large amount raises nothing (no money moved); its capture does, as the debit it is. The freezes,
    /// releases, closings and the credit leg of a capture around it are read and passed over, never dead-lettered: the only
    /// dead letters are the poison messages produced last on each key, behind them.
    /// </summary>
    [Fact]
    public async Task LargeCapturedHold_OneLargeDebitAlert_AndTheOtherNewEventsPassQuietly()
    {
        await using var scenario = await FraudScenario.StartAsync(output);
        var (account, payee) = (Guid.NewGuid(), Guid.NewGuid());
        var (small, large) = (Guid.NewGuid(), Guid.NewGuid());
        var capture = KafkaTestMessages.HoldCaptured(account, 6, large, account, payee, "15000.00", T0.AddMinutes(5));
        Message<string, byte[]>[] poison = [Withdrawal(account, 8, "1.005", T0.AddMinutes(8)), Withdrawal(payee, 2, "1.005", T0.AddMinutes(8))];

        // Each message is keyed by its body's account: the credit leg on the payee's key, the rest on the account's, in order.
        Message<string, byte[]>[] messages =
        [
            KafkaTestMessages.AccountFrozen(account, 1, T0), KafkaTestMessages.AccountUnfrozen(account, 2, T0.AddMinutes(1)),
            KafkaTestMessages.HoldPlaced(account, 3, small, "20.00", T0.AddMinutes(2)),
            KafkaTestMessages.HoldReleased(account, 4, small, "20.00", T0.AddMinutes(3)),
            KafkaTestMessages.HoldPlaced(account, 5, large, "15000.00", T0.AddMinutes(4)), capture,
            KafkaTestMessages.HoldCaptured(payee, 1, large, account, payee, "15000.00", T0.AddMinutes(5)),
            KafkaTestMessages.AccountClosed(account, 7, T0.AddMinutes(7)), .. poison,
        ];
        foreach (var message in messages)
        {
            await scenario.ProduceAsync(message);
        }

        var alert = (await scenario.WaitForPublishedAlertsAsync(1)).Single();
        alert.Rule.Should().Be(FraudRules.LargeDebit);
        alert.EventIds.Should().Equal(capture.EventId());
        alert.Amount.Should().Be("15000.00");
        alert.OccurredAt.Should().Be(T0.AddMinutes(5));
        KafkaTestMessages.ReadTopic(scenario.Kafka, KafkaTopics.AccountEventsDeadLetters, 2)
            .Select(letter => letter.Message.Headers.Header(CloudEventHeaders.Id))
            .Should().BeEquivalentTo(poison.Select(message => message.EventId().ToString()),
                "the new event types before them on the same keys were processed, not set aside");
        (await scenario.AlertsAsync()).Should().ContainSingle();
        (await scenario.CountAsync("debits")).Should().Be(1, "the capture is the one debit");
        (await scenario.CountAsync("deposits")).Should().Be(0, "the credit leg of a capture is no deposit");
    }

    [Fact]
    public async Task SameEventDeliveredTwice_OneAlert()
    {
        await using var scenario = await FraudScenario.StartAsync(output);
        var account = Guid.NewGuid();
        var withdrawal = Withdrawal(account, 1, "20000.00", T0);

        await scenario.ProduceAsync(withdrawal);
        await scenario.ProduceAsync(withdrawal);
        // Same key, same partition: once the marker is recorded, the duplicate before it was handled.
        await scenario.ProduceAsync(Deposit(account, 2, "1.00", T0.AddMinutes(1)));
        await scenario.WaitForMovementAsync("deposits", 1);

        (await scenario.AlertsAsync()).Should().ContainSingle().Which.Published.Should().BeTrue();
        scenario.AlertMessageCount().Should().Be(1);
    }

    [Fact]
    public async Task SixDebitsWithinTenMinutes_OneVelocityAlert()
    {
        await using var scenario = await FraudScenario.StartAsync(output);
        var account = Guid.NewGuid();
        // Withdrawals and outgoing transfers alike, one a minute.
        var debits = Enumerable.Range(0, 7).Select(i => i % 2 == 0
            ? Withdrawal(account, i + 1, "10.00", T0.AddMinutes(i))
            : TransferOut(account, i + 1, "10.00", T0.AddMinutes(i))).ToList();

        foreach (var debit in debits)
        {
            await scenario.ProduceAsync(debit);
        }

        await scenario.WaitForMovementAsync("debits", 7);
        var alert = (await scenario.WaitForPublishedAlertsAsync(1)).Single();
        alert.Rule.Should().Be(FraudRules.Velocity);
        alert.EventIds.Should().Equal(debits.Take(6).Select(debit => debit.EventId()));
        alert.Amount.Should().Be("60.00");
        scenario.AlertMessageCount().Should().Be(1);
    }

    [Fact]
    public async Task DepositThenDebitsOfEightyPercent_OneDrainAlert()
    {
        await using var scenario = await FraudScenario.StartAsync(output);
        var account = Guid.NewGuid();
        var deposit = Deposit(account, 1, "1000.00", T0);
        var first = Withdrawal(account, 2, "500.00", T0.AddMinutes(10));
        var second = Withdrawal(account, 3, "300.00", T0.AddMinutes(50));
        var third = Withdrawal(account, 4, "100.00", T0.AddMinutes(55));

        foreach (var message in new[] { deposit, first, second, third })
        {
            await scenario.ProduceAsync(message);
        }

        await scenario.WaitForMovementAsync("debits", 3);
        var alert = (await scenario.WaitForPublishedAlertsAsync(1)).Single();
        alert.Rule.Should().Be(FraudRules.DepositDrain);
        alert.EventIds.Should().Equal(deposit.EventId(), first.EventId(), second.EventId());
        alert.Amount.Should().Be("800.00");
        alert.OccurredAt.Should().Be(T0.AddMinutes(50));
    }

    [Fact]
    public async Task PoisonMessage_GoesToDeadLettersAndTheNextIsProcessed()
    {
        await using var scenario = await FraudScenario.StartAsync(output);
        var account = Guid.NewGuid();
        var poison = Withdrawal(account, 1, "12.345", T0);

        await scenario.ProduceAsync(poison);
        await scenario.ProduceAsync(Withdrawal(account, 2, "10000.00", T0.AddMinutes(1)));

        (await scenario.WaitForPublishedAlertsAsync(1)).Single().Rule.Should().Be(FraudRules.LargeDebit);
        var deadLetter = KafkaTestMessages.ReadTopic(scenario.Kafka, KafkaTopics.AccountEventsDeadLetters, 1).Should().ContainSingle().Subject.Message;
        deadLetter.Headers.Header(CloudEventHeaders.Id).Should().Be(poison.EventId().ToString());
        deadLetter.Headers.Header(CloudEventHeaders.DeadLetterConsumerGroup).Should().Be("ledger-fraud");
        deadLetter.Headers.Header(CloudEventHeaders.DeadLetterReason).Should().Contain("12.345");
    }

    [Fact]
    public async Task CommittedButUnpublishedAlert_IsPublishedOnRedelivery()
    {
        await using var scenario = await FraudScenario.StartAsync(output, startConsumer: false);
        var account = Guid.NewGuid();
        var withdrawal = Withdrawal(account, 1, "10000.00", T0);
        // What a crash between the database commit and the Kafka acknowledgement leaves behind.
        var movement = new FraudMovement(withdrawal.EventId(), account, MovementKind.Debit, 1_000_000, "EUR", T0);
        var alert = FraudRules.LargeDebitAlert(movement, new FraudOptions().LargeDebit, DetectedAt)!;
        await using (var transaction = await scenario.Store.BeginAsync(CancellationToken.None))
        {
            (await transaction.RecordAsync(movement, CancellationToken.None)).Should().BeTrue();
            (await transaction.InsertAlertsAsync([alert], _ => false, CancellationToken.None)).Should().Be(1);
            await transaction.CommitAsync(CancellationToken.None);
        }

        await scenario.StartConsumerAsync();
        await scenario.ProduceAsync(withdrawal);

        (await scenario.WaitForPublishedAlertsAsync(1)).Single().AlertId.Should().Be(alert.AlertId);
        scenario.ReadAlertMessages(1).Single().Message.Headers.Header(CloudEventHeaders.Id).Should().Be(alert.AlertId.ToString());
    }
}
