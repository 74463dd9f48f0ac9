using Ledger.Contracts;
using Ledger.Contracts.V1;
using Ledger.Fraud;
using Ledger.Messaging.Consumers;

namespace Ledger.Messaging.Tests.Consumers.Fraud;

/// <summary>The rules as pure functions: every rule's positive and negative cases and its exact boundaries.</summary>
public sealed class FraudRulesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 14, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset DetectedAt = new(2026, 3, 2, 15, 0, 0, TimeSpan.Zero);
    private static readonly Guid Account = Guid.Parse("7d0c8a52-3b1e-4c55-9a51-0a1e2f3b4c01");
    private static readonly TimeSpan Microsecond = TimeSpan.FromTicks(TimeSpan.TicksPerMicrosecond);

    private readonly FraudOptions _options = new();

    // ---- large debit ----

    [Fact]
    public void LargeDebit_ExactlyAtThreshold_Alerts()
    {
        var debit = Debit(T0, 1_000_000);

        var alert = FraudRules.LargeDebitAlert(debit, _options.LargeDebit, DetectedAt);

        alert.Should().NotBeNull();
        alert!.Rule.Should().Be("large-debit");
        alert.AccountId.Should().Be(Account);
        alert.EventIds.Should().Equal(debit.EventId);
        alert.AmountMinor.Should().Be(1_000_000);
        alert.Amount.Should().Be("10000.00");
        alert.Currency.Should().Be("EUR");
        alert.OccurredAt.Should().Be(T0);
        alert.DetectedAt.Should().Be(DetectedAt);
        alert.AlertId.Should().Be(FraudRules.AlertId("large-debit", [debit.EventId]));
    }

    [Fact]
    public void LargeDebit_OneMinorUnitBelowThreshold_DoesNotAlert() =>
        FraudRules.LargeDebitAlert(Debit(T0, 999_999), _options.LargeDebit, DetectedAt).Should().BeNull();

    [Fact]
    public void LargeDebit_ThresholdsArePerCurrency()
    {
        FraudRules.LargeDebitAlert(Debit(T0, 1_500_000, currency: "JPY"), _options.LargeDebit, DetectedAt).Should().NotBeNull();
        FraudRules.LargeDebitAlert(Debit(T0, 1_499_999, currency: "JPY"), _options.LargeDebit, DetectedAt).Should().BeNull();
    }

    [Fact]
    public void LargeDebit_CurrencyWithoutThreshold_NeverAlerts() =>
        FraudRules.LargeDebitAlert(Debit(T0, 999_999_999_999, currency: "SEK"), _options.LargeDebit, DetectedAt).Should().BeNull();

    [Fact]
    public void LargeDebit_Deposit_DoesNotAlert() =>
        FraudRules.LargeDebitAlert(Deposit(T0, 100_000_000), _options.LargeDebit, DetectedAt).Should().BeNull();

    // ---- velocity (N = 5, window 10 min) ----

    [Fact]
    public void Velocity_NDebitsInWindow_DoesNotAlert()
    {
        var history = Debits(T0, count: 4, every: TimeSpan.FromMinutes(1));
        var fifth = Debit(T0.AddMinutes(4), 100);

        FraudRules.VelocityAlerts(fifth, history, _options.Velocity, DetectedAt).Should().BeEmpty();
    }

    [Fact]
    public void Velocity_NPlusOneDebitsInWindow_AlertsWithEveryDebitOfTheWindow()
    {
        var history = Debits(T0, count: 5, every: TimeSpan.FromMinutes(1));
        var sixth = Debit(T0.AddMinutes(5), 100);

        var alerts = FraudRules.VelocityAlerts(sixth, history, _options.Velocity, DetectedAt);

        var alert = alerts.Should().ContainSingle().Subject;
        alert.Rule.Should().Be("velocity");
        alert.EventIds.Should().Equal([.. history.Select(debit => debit.EventId), sixth.EventId]);
        alert.AmountMinor.Should().Be(600);
        alert.OccurredAt.Should().Be(sixth.OccurredAt);
    }

    [Fact]
    public void Velocity_BurstGoesOn_OneAlertNotOnePerDebit()
    {
        var history = Debits(T0, count: 6, every: TimeSpan.FromMinutes(1));
        var seventh = Debit(T0.AddMinutes(6), 100);

        FraudRules.VelocityAlerts(seventh, history, _options.Velocity, DetectedAt).Should().BeEmpty();
    }

    [Fact]
    public void Velocity_DebitExactlyOneWindowBefore_IsOutsideTheWindow()
    {
        // (t - 10 min, t]: the debit at T0 drops out when the new one is at T0 + 10 min.
        var history = Debits(T0, count: 5, every: TimeSpan.FromMinutes(1));

        FraudRules.VelocityAlerts(Debit(T0.AddMinutes(10), 100), history, _options.Velocity, DetectedAt).Should().BeEmpty();
        FraudRules.VelocityAlerts(Debit(T0.AddMinutes(10) - Microsecond, 100), history, _options.Velocity, DetectedAt).Should().ContainSingle();
    }

    [Fact]
    public void Velocity_OtherAccountsAndCurrencies_AreNotCounted()
    {
        var history = new List<FraudMovement>(Debits(T0, count: 3, every: TimeSpan.FromMinutes(1)))
        {
            Debit(T0.AddMinutes(3), 100) with { AccountId = Guid.NewGuid() },
            Debit(T0.AddMinutes(3), 100, currency: "USD"),
            Deposit(T0.AddMinutes(3), 100),
        };
        history.Add(Debit(T0.AddMinutes(4), 100));

        FraudRules.VelocityAlerts(Debit(T0.AddMinutes(5), 100), history, _options.Velocity, DetectedAt).Should().BeEmpty();
    }

    [Fact]
    public void Velocity_LateDebit_IsEvaluatedAgainstItsOwnWindow()
    {
        // Five debits before the late one, and newer ones far later that must not count.
        var history = new List<FraudMovement>(Debits(T0, count: 5, every: TimeSpan.FromMinutes(1)));
        history.AddRange(Debits(T0.AddHours(2), count: 5, every: TimeSpan.FromMinutes(1)));
        var late = Debit(T0.AddMinutes(5), 100);

        var alert = FraudRules.VelocityAlerts(late, history, _options.Velocity, DetectedAt).Should().ContainSingle().Subject;

        alert.EventIds.Should().HaveCount(6).And.Contain(late.EventId);
        alert.OccurredAt.Should().Be(late.OccurredAt);
    }

    [Fact]
    public void Velocity_LateDebit_CompletesALaterWindow()
    {
        var history = Debits(T0.AddMinutes(1), count: 5, every: TimeSpan.FromMinutes(1));
        var late = Debit(T0.AddSeconds(30), 100);

        var alert = FraudRules.VelocityAlerts(late, history, _options.Velocity, DetectedAt).Should().ContainSingle().Subject;

        alert.EventIds.Should().Equal([late.EventId, .. history.Select(debit => debit.EventId)]);
        alert.OccurredAt.Should().Be(history[^1].OccurredAt, "the window that reached N+1 ends at the last debit");
    }

    [Fact]
    public void Velocity_DebitsAtTheSameInstant_OneAlert()
    {
        var history = Enumerable.Range(0, 5).Select(_ => Debit(T0, 100)).ToList();

        FraudRules.VelocityAlerts(Debit(T0, 100), history, _options.Velocity, DetectedAt).Should().ContainSingle();
    }

    // ---- deposit drain (80 %, 1 h) ----

    [Fact]
    public void DepositDrain_DebitsReachPercent_AlertsWithDepositAndCrossingDebits()
    {
        var deposit = Deposit(T0, 100_000);
        var first = Debit(T0.AddMinutes(10), 30_000);
        var crossing = Debit(T0.AddMinutes(20), 50_000);
        var after = Debit(T0.AddMinutes(30), 10_000);

        var alert = FraudRules.DepositDrainAlert(deposit, [after, crossing, first], _options.DepositDrain, DetectedAt);

        alert.Should().NotBeNull();
        alert!.Rule.Should().Be("deposit-drain");
        alert.EventIds.Should().Equal(deposit.EventId, first.EventId, crossing.EventId);
        alert.Amount.Should().Be("800.00");
        alert.OccurredAt.Should().Be(crossing.OccurredAt);
    }

    [Fact]
    public void DepositDrain_OneMinorUnitBelowPercent_DoesNotAlert()
    {
        var deposit = Deposit(T0, 100_000);

        FraudRules.DepositDrainAlert(deposit, [Debit(T0.AddMinutes(1), 30_000), Debit(T0.AddMinutes(2), 49_999)], _options.DepositDrain, DetectedAt)
            .Should().BeNull();
    }

    [Fact]
    public void DepositDrain_WindowIsOpenAtTheDepositAndClosedAtItsEnd()
    {
        var deposit = Deposit(T0, 100_000);

        FraudRules.DepositDrainAlert(deposit, [Debit(T0, 80_000)], _options.DepositDrain, DetectedAt).Should().BeNull("a debit at the deposit's instant is not after it");
        FraudRules.DepositDrainAlert(deposit, [Debit(T0.AddHours(1), 80_000)], _options.DepositDrain, DetectedAt).Should().NotBeNull();
        FraudRules.DepositDrainAlert(deposit, [Debit(T0.AddHours(1) + Microsecond, 80_000)], _options.DepositDrain, DetectedAt).Should().BeNull();
        FraudRules.DepositDrainAlert(deposit, [Debit(T0.AddMinutes(-1), 80_000)], _options.DepositDrain, DetectedAt).Should().BeNull();
    }

    [Fact]
    public void DepositDrain_OtherCurrencyOrAccount_IsNotCounted()
    {
        var deposit = Deposit(T0, 100_000);

        FraudRules.DepositDrainAlert(deposit, [Debit(T0.AddMinutes(1), 80_000, currency: "USD"), Debit(T0.AddMinutes(1), 80_000) with { AccountId = Guid.NewGuid() }],
            _options.DepositDrain, DetectedAt).Should().BeNull();
    }

    [Fact]
    public void DrainCandidates_AreDepositsWithinOneWindowBeforeTheDebit()
    {
        var debit = Debit(T0.AddHours(1), 100);
        var atStart = Deposit(T0, 100);
        var justBefore = Deposit(T0 - Microsecond, 100);
        var sameInstant = Deposit(T0.AddHours(1), 100);

        FraudRules.DrainCandidates(debit, [justBefore, atStart, sameInstant], _options.DepositDrain).Should().Equal(atStart);
    }

    // ---- alert ids ----

    [Fact]
    public void AlertId_IsANameBasedUuidPinnedByItsRecipe()
    {
        // Recomputed outside .NET: sha256("large-debit\n01a20a1c-..."), first 16 bytes, version 5, RFC 4122 variant.
        FraudRules.AlertId("large-debit", [Guid.Parse("01a20a1c-62f4-7b55-86f3-2c8d1d6f00a1")])
            .Should().Be(Guid.Parse("8292c6dc-2df2-57b4-b05e-95c2cbbe0e89"));
        FraudRules.AlertId("velocity", [Guid.Parse("01a20a1c-62f4-7b55-86f3-2c8d1d6f00a1"), Guid.Parse("00000000-0000-0000-0000-000000000002")])
            .Should().Be(Guid.Parse("33d90cef-a158-5221-aa2a-89410d2b80f2"));
    }

    [Fact]
    public void AlertId_DependsOnRuleAndIdSetOnly()
    {
        var (a, b, c) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());

        FraudRules.AlertId("velocity", [a, b, c]).Should().Be(FraudRules.AlertId("velocity", [c, a, b]));
        FraudRules.AlertId("velocity", [a, b, c]).Should().NotBe(FraudRules.AlertId("deposit-drain", [a, b, c]));
        FraudRules.AlertId("velocity", [a, b, c]).Should().NotBe(FraudRules.AlertId("velocity", [a, b]));
        FraudRules.AlertId("velocity", [a]).ToString()[14].Should().Be('5');
    }

    // ---- reading movements from messages ----

    [Fact]
    public void Movement_FromWithdrawalAndDebitLeg_IsADebitInMinorUnits()
    {
        var other = Guid.NewGuid();

        FraudMovement.From(Message(new MoneyWithdrawnV1(Account, "12.30", "EUR", null, T0)))!.Should()
            .Match<FraudMovement>(movement => movement.Kind == MovementKind.Debit && movement.AmountMinor == 1230);
        FraudMovement.From(Message(new MoneyTransferredV1(Account, Guid.NewGuid(), Account, other, "debit", "5", "JPY", null, T0)))!.Should()
            .Match<FraudMovement>(movement => movement.Kind == MovementKind.Debit && movement.AmountMinor == 5 && movement.Currency == "JPY");
        FraudMovement.From(Message(new MoneyDepositedV1(Account, "0.01", "EUR", null, T0)))!.Kind.Should().Be(MovementKind.Deposit);
    }

    [Fact]
    public void Movement_CreditLegAndAccountCreated_AreIgnored()
    {
        FraudMovement.From(Message(new MoneyTransferredV1(Account, Guid.NewGuid(), Guid.NewGuid(), Account, "credit", "5.00", "EUR", null, T0))).Should().BeNull();
        FraudMovement.From(Message(new AccountCreatedV1(Account, "Ada", "EUR", "0.00", T0))).Should().BeNull();
    }

    /// <summary>A capture is the moment held money leaves the account: out of the ledger, or as a transfer's debit leg.</summary>
    [Fact]
    public void Movement_CapturedHold_IsADebitOnItsSourceOnly()
    {
        var other = Guid.NewGuid();
        var hold = Guid.NewGuid();

        FraudMovement.From(Message(new HoldCapturedV1(Account, hold, Account, null, "debit", "98.40", "120.00", "EUR", null, null, T0)))!.Should()
            .Match<FraudMovement>(movement => movement.Kind == MovementKind.Debit && movement.AmountMinor == 9840 && movement.AccountId == Account);
        FraudMovement.From(Message(new HoldCapturedV1(Account, hold, Account, other, "debit", "5", "5", "JPY", null, "supervisor", T0)))!.Should()
            .Match<FraudMovement>(movement => movement.Kind == MovementKind.Debit && movement.AmountMinor == 5 && movement.Currency == "JPY");
        FraudMovement.From(Message(new HoldCapturedV1(Account, hold, other, Account, "credit", "5.00", "5.00", "EUR", null, null, T0)))
            .Should().BeNull("money coming in through a capture is no deposit, as a transfer's credit leg is none");
    }

    [Fact]
    public void Movement_FreezesClosingsAndHoldsPlacedOrReleased_AreIgnored()
    {
        IAccountIntegrationEvent[] bodies =
        [
            new AccountFrozenV1(Account, "suspicious", Guid.NewGuid(), T0),
            new AccountUnfrozenV1(Account, "cleared", T0),
            new AccountClosedV1(Account, null, T0),
            new HoldPlacedV1(Account, Guid.NewGuid(), "15000.00", "EUR", null, T0.AddDays(1), "hold", null, null, T0),
            new HoldPlacedV1(Account, Guid.NewGuid(), "15000.00", "EUR", null, null, "transfer-approval", Guid.NewGuid(), "clerk", T0),
            new HoldReleasedV1(Account, Guid.NewGuid(), "15000.00", "EUR", "expired", null, T0),
        ];

        bodies.Select(body => FraudMovement.From(Message(body))).Should().AllSatisfy(movement => movement.Should().BeNull());
    }

    [Fact]
    public void Movement_CaptureInNeitherDirection_IsPoison() =>
        FluentActions.Invoking(() => FraudMovement.From(Message(new HoldCapturedV1(Account, Guid.NewGuid(), Account, null, "sideways", "1.00", "1.00",
                "EUR", null, null, T0))))
            .Should().Throw<PoisonMessageException>().WithMessage("*sideways*");

    [Theory]
    [InlineData("12.345", "EUR")]
    [InlineData("-5.00", "EUR")]
    [InlineData("0.00", "EUR")]
    [InlineData("1e3", "EUR")]
    [InlineData("5.00", "XXX")]
    public void Movement_InvalidAmountOrCurrency_IsPoison(string amount, string currency) =>
        FluentActions.Invoking(() => FraudMovement.From(Message(new MoneyWithdrawnV1(Account, amount, currency, null, T0))))
            .Should().Throw<PoisonMessageException>();

    [Fact]
    public void Movement_TimeIsTruncatedToTheMicrosecondAsPostgresKeepsIt() =>
        FraudMovement.From(Message(new MoneyWithdrawnV1(Account, "1.00", "EUR", null, T0.AddTicks(19))))!.OccurredAt.Should().Be(T0.AddTicks(10));

    // ---- options ----

    [Fact]
    public void Options_Defaults_AreValid() => new FraudOptions().Problems().Should().BeEmpty();

    [Fact]
    public void Options_NonPositiveOrUnknownValues_AreRejected()
    {
        var options = new FraudOptions();
        options.LargeDebit.Thresholds["EUR"] = 0;
        options.LargeDebit.Thresholds["eur"] = 5;
        options.Velocity.DebitsMax = 0;
        options.Velocity.Window = TimeSpan.Zero;
        options.DepositDrain.Percent = -1;
        options.DepositDrain.Window = TimeSpan.FromDays(8);

        options.Problems().Should().HaveCount(6);
    }

    private static FraudMovement Debit(DateTimeOffset at, long amountMinor, string currency = "EUR") =>
        new(Guid.NewGuid(), Account, MovementKind.Debit, amountMinor, currency, at);

    private static FraudMovement Deposit(DateTimeOffset at, long amountMinor) =>
        new(Guid.NewGuid(), Account, MovementKind.Deposit, amountMinor, "EUR", at);

    private static List<FraudMovement> Debits(DateTimeOffset from, int count, TimeSpan every) =>
        Enumerable.Range(0, count).Select(i => Debit(from + every * i, 100)).ToList();

    private static AccountEventMessage Message(IAccountIntegrationEvent body) =>
        new(Guid.NewGuid(), CloudEventTypes.MoneyWithdrawn, body.AccountId, 1, 1, body.OccurredAt, null, body, "{}");
}
