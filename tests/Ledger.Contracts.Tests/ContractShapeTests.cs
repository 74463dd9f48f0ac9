using System.Text.Json;
using Ledger.Contracts;
using Ledger.Contracts.V1;

namespace Ledger.Contracts.Tests;

/// <summary>
/// Pins the public JSON shape of every integration event: a renamed or removed field fails here before it reaches a
/// consumer. The expected texts are the examples in docs/contracts.md.
/// </summary>
public sealed class ContractShapeTests
{
    private static readonly Guid Account = new("7d0c8a52-3b1e-4c55-9a51-0a1e2f3b4c01");
    private static readonly Guid Other = new("7d0c8a52-3b1e-4c55-9a51-0a1e2f3b4c02");
    private static readonly Guid TransferId = new("5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a01");
    private static readonly Guid HoldId = new("3a4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c01");
    private static readonly Guid AlertId = new("0b5f0c4e-8f1a-5d2b-9c3e-4a5b6c7d8e9f");
    private static readonly DateTimeOffset At = new(2026, 3, 2, 14, 3, 0, 123, TimeSpan.Zero);

    public static TheoryData<object, string> Examples => new()
    {
        {
            new AccountCreatedV1(Account, "Ada Lovelace", "EUR", "100.00", At),
            """{"accountId":"7d0c8a52-3b1e-4c55-9a51-0a1e2f3b4c01","owner":"Ada Lovelace","currency":"EUR","overdraftLimit":"100.00","occurredAt":"2026-03-02T14:03:00.123+00:00"}"""
        },
        {
            new MoneyDepositedV1(Account, "250.00", "EUR", "Opening deposit", At),
            """{"accountId":"7d0c8a52-3b1e-4c55-9a51-0a1e2f3b4c01","amount":"250.00","currency":"EUR","reference":"Opening deposit","occurredAt":"2026-03-02T14:03:00.123+00:00"}"""
        },
        {
            new MoneyWithdrawnV1(Account, "20.50", "EUR", null, At),
            """{"accountId":"7d0c8a52-3b1e-4c55-9a51-0a1e2f3b4c01","amount":"20.50","currency":"EUR","occurredAt":"2026-03-02T14:03:00.123+00:00"}"""
        },
        {
            new MoneyTransferredV1(Account, TransferId, Account, Other, MoneyTransferredV1.Debit, "75.25", "EUR", "Invoice 42", At),
            """{"accountId":"7d0c8a52-3b1e-4c55-9a51-0a1e2f3b4c01","transferId":"5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a01","fromAccountId":"7d0c8a52-3b1e-4c55-9a51-0a1e2f3b4c01","toAccountId":"7d0c8a52-3b1e-4c55-9a51-0a1e2f3b4c02","direction":"debit","amount":"75.25","currency":"EUR","reference":"Invoice 42","occurredAt":"2026-03-02T14:03:00.123+00:00"}"""
        },
        {
            new AccountFrozenV1(Account, "large-debit alert", AlertId, At),
            """{"accountId":"7d0c8a52-3b1e-4c55-9a51-0a1e2f3b4c01","reason":"large-debit alert","alertId":"0b5f0c4e-8f1a-5d2b-9c3e-4a5b6c7d8e9f","occurredAt":"2026-03-02T14:03:00.123+00:00"}"""
        },
        {
            new AccountUnfrozenV1(Account, "customer identified", At),
            """{"accountId":"7d0c8a52-3b1e-4c55-9a51-0a1e2f3b4c01","reason":"customer identified","occurredAt":"2026-03-02T14:03:00.123+00:00"}"""
        },
        {
            new AccountClosedV1(Account, null, At),
            """{"accountId":"7d0c8a52-3b1e-4c55-9a51-0a1e2f3b4c01","occurredAt":"2026-03-02T14:03:00.123+00:00"}"""
        },
        {
            new HoldPlacedV1(Account, HoldId, "120.00", "EUR", "Hotel Lisboa", At.AddDays(7), HoldPlacedV1.Hold, null, null, At),
            """{"accountId":"7d0c8a52-3b1e-4c55-9a51-0a1e2f3b4c01","holdId":"3a4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c01","amount":"120.00","currency":"EUR","reference":"Hotel Lisboa","expiresAt":"2026-03-09T14:03:00.123+00:00","purpose":"hold","occurredAt":"2026-03-02T14:03:00.123+00:00"}"""
        },
        {
            new HoldPlacedV1(Account, HoldId, "5000.00", "EUR", null, null, HoldPlacedV1.TransferApproval, Other, "clerk-ada-7", At),
            """{"accountId":"7d0c8a52-3b1e-4c55-9a51-0a1e2f3b4c01","holdId":"3a4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c01","amount":"5000.00","currency":"EUR","purpose":"transfer-approval","toAccountId":"7d0c8a52-3b1e-4c55-9a51-0a1e2f3b4c02","requestedBy":"clerk-ada-7","occurredAt":"2026-03-02T14:03:00.123+00:00"}"""
        },
        {
            new HoldCapturedV1(Account, HoldId, Account, Other, HoldCapturedV1.Debit, "98.40", "120.00", "EUR", "Hotel Lisboa", null, At),
            """{"accountId":"7d0c8a52-3b1e-4c55-9a51-0a1e2f3b4c01","holdId":"3a4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c01","fromAccountId":"7d0c8a52-3b1e-4c55-9a51-0a1e2f3b4c01","toAccountId":"7d0c8a52-3b1e-4c55-9a51-0a1e2f3b4c02","direction":"debit","amount":"98.40","held":"120.00","currency":"EUR","reference":"Hotel Lisboa","occurredAt":"2026-03-02T14:03:00.123+00:00"}"""
        },
        {
            new HoldCapturedV1(Account, HoldId, Account, null, HoldCapturedV1.Debit, "5000.00", "5000.00", "EUR", null, "supervisor-grace", At),
            """{"accountId":"7d0c8a52-3b1e-4c55-9a51-0a1e2f3b4c01","holdId":"3a4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c01","fromAccountId":"7d0c8a52-3b1e-4c55-9a51-0a1e2f3b4c01","direction":"debit","amount":"5000.00","held":"5000.00","currency":"EUR","approvedBy":"supervisor-grace","occurredAt":"2026-03-02T14:03:00.123+00:00"}"""
        },
        {
            new HoldReleasedV1(Account, HoldId, "120.00", "EUR", HoldReleasedV1.Expired, null, At),
            """{"accountId":"7d0c8a52-3b1e-4c55-9a51-0a1e2f3b4c01","holdId":"3a4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c01","amount":"120.00","currency":"EUR","reason":"expired","occurredAt":"2026-03-02T14:03:00.123+00:00"}"""
        },
        {
            new FraudAlertV1(AlertId, "large-debit", Account, [new Guid("01a20a1c-62f4-7b55-86f3-2c8d1d6f00a1")], "15000.00", "EUR", At.AddSeconds(1), At),
            """{"alertId":"0b5f0c4e-8f1a-5d2b-9c3e-4a5b6c7d8e9f","rule":"large-debit","accountId":"7d0c8a52-3b1e-4c55-9a51-0a1e2f3b4c01","eventIds":["01a20a1c-62f4-7b55-86f3-2c8d1d6f00a1"],"amount":"15000.00","currency":"EUR","detectedAt":"2026-03-02T14:03:01.123+00:00","occurredAt":"2026-03-02T14:03:00.123+00:00"}"""
        },
    };

    [Theory]
    [MemberData(nameof(Examples))]
    public void Serialized_HasThePublishedShape(object message, string expected)
    {
        ArgumentNullException.ThrowIfNull(message);

        JsonSerializer.Serialize(message, message.GetType(), IntegrationJson.Options).Should().Be(expected);
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void PublishedShape_ReadsBackToTheSameMessage(object message, string expected)
    {
        ArgumentNullException.ThrowIfNull(message);

        var read = JsonSerializer.Deserialize(expected, message.GetType(), IntegrationJson.Options);

        JsonSerializer.Serialize(read, message.GetType(), IntegrationJson.Options).Should().Be(expected);
    }

    /// <summary>Each contract has at least one documented example, so each is pinned here and checked against its schema.</summary>
    [Fact]
    public void EveryContract_HasAnExample()
    {
        Examples.Select(row => row[0].GetType()).Distinct().Should().BeEquivalentTo(ContractSchemas.All.Select(contract => contract.DataType));
    }

    [Fact]
    public void EveryAccountEventType_IsNamedAndVersioned()
    {
        CloudEventTypes.AccountEventTypes.Keys.Should().BeEquivalentTo(
            "ledger.account.created.v1", "ledger.money.deposited.v1", "ledger.money.withdrawn.v1", "ledger.money.transferred.v1",
            "ledger.account.frozen.v1", "ledger.account.unfrozen.v1", "ledger.account.closed.v1",
            "ledger.hold.placed.v1", "ledger.hold.captured.v1", "ledger.hold.released.v1");
        KafkaTopics.All.Should().BeEquivalentTo("ledger.account-events", "ledger.account-events.dlq", "ledger.fraud-alerts");
    }

    [Fact]
    public void HeaderNames_FollowTheCloudEventsKafkaBinding()
    {
        new[] { CloudEventHeaders.SpecVersion, CloudEventHeaders.Id, CloudEventHeaders.Source, CloudEventHeaders.Type, CloudEventHeaders.Time, CloudEventHeaders.Subject, CloudEventHeaders.DataSchema }
            .Should().Equal("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject", "ce_dataschema");
        CloudEventHeaders.ContentType.Should().Be("content-type");
    }

    /// <summary>
    /// Extension attributes are ce_ plus a name of lowercase letters and digits only, at most 20 of them (CloudEvents 1.0,
    /// Kafka binding); correlationid is the documented correlation extension's.
    /// </summary>
    [Fact]
    public void LedgerHeaders_AreCloudEventsExtensionAttributes()
    {
        var extensions = new[] { CloudEventHeaders.StreamVersion, CloudEventHeaders.Sequence, CloudEventHeaders.CorrelationId, CloudEventHeaders.Actor, CloudEventHeaders.ActorRole };

        extensions.Should().Equal("ce_ledgerstreamversion", "ce_ledgersequence", "ce_correlationid", "ce_actor", "ce_actorrole");
        extensions.Should().OnlyContain(name => System.Text.RegularExpressions.Regex.IsMatch(name, "^ce_[a-z0-9]{1,20}$"));
    }

    /// <summary>Messages already on the topics carry the former names; readers still take them.</summary>
    [Fact]
    public void FormerHeaderNames_AreKeptForReaders()
    {
        CloudEventHeaders.FormerNames.Should().BeEquivalentTo(new Dictionary<string, string>
        {
            ["ce_ledgerstreamversion"] = "ledger-stream-version",
            ["ce_ledgersequence"] = "ledger-sequence",
            ["ce_correlationid"] = "correlation-id",
        });
    }
}
