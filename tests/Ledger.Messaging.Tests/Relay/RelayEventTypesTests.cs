using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using JasperFx.Events;
using Ledger.Contracts;
using Ledger.Contracts.V1;
using Ledger.Domain.Accounts;
using Ledger.Messaging.Consumers;
using Ledger.Messaging.Relay;
using Ledger.Testing;
using Xunit.Abstractions;

namespace Ledger.Messaging.Tests.Relay;

/// <summary>
/// Every kind of account event, appended through the store and published by the relay: each becomes its v1 contract, valid
/// under its published schema and readable by the consumers; a capture to another account is two messages, one per
/// account's key, as a transfer is; a capture out of the ledger is one.
/// </summary>
public sealed class RelayEventTypesTests(ITestOutputHelper output)
{
    [Fact]
    public async Task FreezesClosingsAndHolds_ArePublishedWithTheirContracts_InOrderPerAccount()
    {
        await using var scenario = await RelayScenario.StartAsync(output);
        var writer = scenario.Writer;
        var (ada, bob, carl) = (await writer.OpenAsync(), await writer.OpenAsync(), await writer.OpenAsync());
        await writer.DepositAsync(ada, 500_00);
        await writer.FreezeAsync(ada, "suspicious", alertId: Guid.NewGuid());
        await writer.UnfreezeAsync(ada, "cleared");
        var expiresAt = DateTimeOffset.UtcNow.AddDays(7);
        var toBob = await writer.PlaceHoldAsync(ada, 120_00, "Hotel Lisboa", expiresAt);
        await writer.CaptureAsync(toBob, 98_40, bob);
        var outOfLedger = await writer.PlaceHoldAsync(ada, 50_00, purpose: HoldPurpose.WithdrawalApproval, requestedBy: "clerk-ada-7");
        await writer.ApproveAsync(outOfLedger, "supervisor-grace");
        var released = await writer.PlaceHoldAsync(ada, 10_00);
        await writer.ReleaseAsync(released);
        await writer.CloseAsync(carl, "moved away");

        var expected = await EventIdsAsync(scenario, ada, bob, carl);
        var read = LedgerKafka.Read(scenario.Kafka.BootstrapServers, KafkaTopics.AccountEvents, result => result,
            messages => expected.Values.SelectMany(ids => ids).All(id => messages.Any(m => EventId(m) == id)));

        // Per account, the first delivery of each event in version order, nothing missing.
        foreach (var (account, ids) in expected)
        {
            read.Where(m => m.Message.Key == account.ToString()).Select(EventId).Distinct().Should().Equal(ids);
        }

        var messages = read.DistinctBy(EventId).Select(result => AccountEventReader.Read(result)).ToList();
        foreach (var message in messages)
        {
            ContractSchemaCheck.Problems(ContractSchemas.Of(message.Type).DataSchema, message.Payload).Should().BeEmpty(message.Type);
        }

        Types(messages, ada).Should().Equal(CloudEventTypes.AccountCreated, CloudEventTypes.MoneyDeposited, CloudEventTypes.AccountFrozen,
            CloudEventTypes.AccountUnfrozen, CloudEventTypes.HoldPlaced, CloudEventTypes.HoldCaptured, CloudEventTypes.HoldPlaced,
            CloudEventTypes.HoldCaptured, CloudEventTypes.HoldPlaced, CloudEventTypes.HoldReleased);
        Types(messages, bob).Should().Equal(CloudEventTypes.AccountCreated, CloudEventTypes.HoldCaptured);
        Types(messages, carl).Should().Equal(CloudEventTypes.AccountCreated, CloudEventTypes.AccountClosed);

        var frozen = Body<AccountFrozenV1>(messages, ada).Single();
        frozen.Reason.Should().Be("suspicious");
        frozen.AlertId.Should().NotBeNull();
        Body<AccountClosedV1>(messages, carl).Single().Reason.Should().Be("moved away");
        Body<HoldPlacedV1>(messages, ada).Select(placed => (placed.HoldId, placed.Amount, placed.Purpose, placed.RequestedBy)).Should().Equal(
            (toBob, "120.00", HoldPlacedV1.Hold, (string?)null), (outOfLedger, "50.00", HoldPlacedV1.WithdrawalApproval, "clerk-ada-7"),
            (released, "10.00", HoldPlacedV1.Hold, null));
        Body<HoldPlacedV1>(messages, ada)[0].ExpiresAt.Should().BeCloseTo(expiresAt, TimeSpan.FromMilliseconds(1));

        // The capture to bob: one event on two streams, so two messages, the debit on ada's key and the credit on bob's.
        var legs = messages.Where(m => m.Event is HoldCapturedV1 { HoldId: var id } && id == toBob).ToList();
        legs.Select(m => (m.AccountId, ((HoldCapturedV1)m.Event).Direction)).Should().BeEquivalentTo([(ada, "debit"), (bob, "credit")]);
        legs.Should().AllSatisfy(m => ((HoldCapturedV1)m.Event).Should().Match<HoldCapturedV1>(captured =>
            captured.FromAccountId == ada && captured.ToAccountId == bob && captured.Amount == "98.40" && captured.Held == "120.00"
            && captured.Currency == "EUR" && captured.Reference == "Hotel Lisboa"));
        // The approved withdrawal leaves the ledger: one message, no destination.
        var approved = messages.Where(m => m.Event is HoldCapturedV1 { HoldId: var id } && id == outOfLedger).Should().ContainSingle().Subject;
        approved.AccountId.Should().Be(ada);
        ((HoldCapturedV1)approved.Event).Should().Match<HoldCapturedV1>(captured => captured.Direction == "debit" && captured.ToAccountId == null
            && captured.Amount == "50.00" && captured.Held == "50.00" && captured.ApprovedBy == "supervisor-grace");
        JsonDocument.Parse(approved.Payload).RootElement.TryGetProperty("toAccountId", out _).Should().BeFalse("absent values are left out");
        Body<HoldReleasedV1>(messages, ada).Single().Should().Be(new HoldReleasedV1(ada, released, "10.00", "EUR", "released", null,
            Body<HoldReleasedV1>(messages, ada).Single().OccurredAt));
        messages.Should().OnlyContain(m => m.Actor == "test-teller" && m.ActorRole == "teller");
    }

    /// <summary>A capture's copy in a stream that is neither its source nor its destination is a corrupt store, set aside.</summary>
    [Fact]
    public void CaptureInAStreamOnNeitherSide_IsUnmappable()
    {
        var captured = new HoldCaptured(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), 1_00, 1_00, "EUR", null, null, DateTimeOffset.UtcNow);
        var stranger = Guid.NewGuid();

        FluentActions.Invoking(() => IntegrationEventMapper.Map(new Event<HoldCaptured>(captured) { Id = Guid.NewGuid(), StreamId = stranger, Version = 2, Sequence = 9 }))
            .Should().Throw<UnmappableEventException>().WithMessage($"*{captured.HoldId}*{stranger}*neither side*");
    }

    private static async Task<Dictionary<Guid, List<Guid>>> EventIdsAsync(RelayScenario scenario, params Guid[] accounts)
    {
        await using var session = scenario.Store.QuerySession();
        var ids = new Dictionary<Guid, List<Guid>>();
        foreach (var account in accounts)
        {
            ids[account] = [.. (await session.Events.FetchStreamAsync(account)).OrderBy(e => e.Version).Select(e => e.Id)];
        }

        return ids;
    }

    private static Guid EventId(ConsumeResult<string, byte[]> result) =>
        Guid.Parse(Encoding.UTF8.GetString(result.Message.Headers.GetLastBytes(CloudEventHeaders.Id)));

    private static List<string> Types(List<AccountEventMessage> messages, Guid account) =>
        messages.Where(m => m.AccountId == account).OrderBy(m => m.StreamVersion).Select(m => m.Type).ToList();

    private static List<T> Body<T>(List<AccountEventMessage> messages, Guid account) =>
        messages.Where(m => m.AccountId == account).OrderBy(m => m.StreamVersion).Select(m => m.Event).OfType<T>().ToList();
}
