using Ledger.Domain.Accounts;
using static Ledger.Domain.Tests.Facts;

namespace Ledger.Domain.Tests.Accounts;

public class WithdrawTests
{
    [Fact]
    public void WithinBalance_IsWithdrawn() =>
        AccountSpec.Given(Created(Alice), Deposited(Alice, 100_00))
            .When(new Withdraw(Alice, 12_34, "rent", Now))
            .Then(new MoneyWithdrawn(Alice, 12_34, "EUR", "rent", Now));

    [Fact]
    public void WholeBalance_IsWithdrawn() =>
        AccountSpec.Given(Created(Alice), Deposited(Alice, 100_00))
            .When(new Withdraw(Alice, 100_00, null, Now))
            .Then(new MoneyWithdrawn(Alice, 100_00, "EUR", null, Now));

    [Fact]
    public void EventCarriesTheAccountCurrency() =>
        AccountSpec.Given(Created(Alice, "BHD"), Deposited(Alice, 5_000, "BHD"))
            .When(new Withdraw(Alice, 1_234, null, Now))
            .Then(new MoneyWithdrawn(Alice, 1_234, "BHD", null, Now));

    [Fact]
    public void MoreThanBalance_IsRejected()
    {
        var rejection = AccountSpec.Given(Created(Alice), Deposited(Alice, 100_00))
            .When(new Withdraw(Alice, 100_01, null, Now))
            .ThenRejects<InsufficientFunds>();

        rejection.AccountId.Should().Be(Alice);
        rejection.AvailableMinor.Should().Be(100_00);
        rejection.Message.Should().Be(
            $"Account {Alice} cannot be debited 100.01 EUR: balance 100.00 EUR, overdraft limit 0.00 EUR.");
    }

    [Fact]
    public void FromEmptyAccount_IsRejected() =>
        AccountSpec.Given(Created(Alice))
            .When(new Withdraw(Alice, 1, null, Now))
            .ThenRejects<InsufficientFunds>()
            .AvailableMinor.Should().Be(0);

    [Fact]
    public void ExactlyToOverdraftLimit_IsWithdrawn() =>
        AccountSpec.Given(Created(Alice, overdraftLimitMinor: 5_00), Deposited(Alice, 10_00))
            .When(new Withdraw(Alice, 15_00, null, Now))
            .Then(new MoneyWithdrawn(Alice, 15_00, "EUR", null, Now));

    [Fact]
    public void OneMinorUnitBeyondOverdraftLimit_IsRejected()
    {
        var rejection = AccountSpec.Given(Created(Alice, overdraftLimitMinor: 5_00), Deposited(Alice, 10_00))
            .When(new Withdraw(Alice, 15_01, null, Now))
            .ThenRejects<InsufficientFunds>();

        rejection.AvailableMinor.Should().Be(15_00);
        rejection.Message.Should().Be(
            $"Account {Alice} cannot be debited 15.01 EUR: balance 10.00 EUR, overdraft limit 5.00 EUR.");
    }

    [Fact]
    public void FromAccountAtItsOverdraftLimit_IsRejected() =>
        AccountSpec.Given(Created(Alice, overdraftLimitMinor: 5_00), Withdrawn(Alice, 5_00))
            .When(new Withdraw(Alice, 1, null, Now))
            .ThenRejects<InsufficientFunds>()
            .AvailableMinor.Should().Be(0);

    [Fact]
    public void Zero_IsRejected() =>
        AccountSpec.Given(Created(Alice), Deposited(Alice, 100_00))
            .When(new Withdraw(Alice, 0, null, Now))
            .ThenRejects<AmountOutOfRange>()
            .Message.Should().EndWith("got 0.00 EUR.");

    [Theory]
    [InlineData(-1)]
    [InlineData(long.MinValue)]
    public void Negative_IsRejected(long amountMinor) =>
        AccountSpec.Given(Created(Alice), Deposited(Alice, 100_00))
            .When(new Withdraw(Alice, amountMinor, null, Now))
            .ThenRejects<AmountOutOfRange>()
            .Message.Should().Contain("; got -").And.EndWith(" EUR.");

    [Fact]
    public void ZeroFromEmptyAccount_IsRejectedForTheAmountFirst() =>
        AccountSpec.Given(Created(Alice))
            .When(new Withdraw(Alice, 0, null, Now))
            .ThenRejects<AmountOutOfRange>();

    [Theory]
    [InlineData("JPY", 1_000_000_000_000L)]
    [InlineData("EUR", 100_000_000_000_000L)]
    [InlineData("BHD", 1_000_000_000_000_000L)]
    [InlineData("CLF", 10_000_000_000_000_000L)]
    public void MaximumForCurrency_IsWithdrawn(string currency, long maximumMinor) =>
        AccountSpec.Given(Created(Alice, currency), Deposited(Alice, maximumMinor, currency))
            .When(new Withdraw(Alice, maximumMinor, null, Now))
            .Then(new MoneyWithdrawn(Alice, maximumMinor, currency, null, Now));

    [Theory]
    [InlineData("JPY", 1_000_000_000_000L)]
    [InlineData("EUR", 100_000_000_000_000L)]
    [InlineData("BHD", 1_000_000_000_000_000L)]
    [InlineData("CLF", 10_000_000_000_000_000L)]
    public void OneMinorUnitAboveMaximum_IsRejected(string currency, long maximumMinor) =>
        AccountSpec.Given(Created(Alice, currency), Deposited(Alice, 2 * maximumMinor, currency))
            .When(new Withdraw(Alice, maximumMinor + 1, null, Now))
            .ThenRejects<AmountOutOfRange>()
            .Message.Should().StartWith("The amount must be greater than 0 and at most 1000000000000").And.EndWith($" {currency}.");

    [Fact]
    public void FrozenAccount_IsRejected() =>
        AccountSpec.Given(Created(Alice), Deposited(Alice, 100_00), Frozen(Alice))
            .When(new Withdraw(Alice, 1_00, null, Now))
            .ThenRejects<AccountIsFrozen>()
            .Message.Should().Be($"Account {Alice} is frozen: it cannot be debited, hold money or be closed until it is unfrozen.");

    [Fact]
    public void UnfrozenAccount_IsDebitedAgain() =>
        AccountSpec.Given(Created(Alice), Deposited(Alice, 100_00), Frozen(Alice), new AccountUnfrozen(Alice, "cleared", Opened))
            .When(new Withdraw(Alice, 1_00, null, Now))
            .Then(new MoneyWithdrawn(Alice, 1_00, "EUR", null, Now));

    [Fact]
    public void ClosedAccount_IsRejected() =>
        AccountSpec.Given(Created(Alice), Closed(Alice))
            .When(new Withdraw(Alice, 1_00, null, Now))
            .ThenRejects<AccountIsClosed>();

    [Fact]
    public void OpenHolds_ReduceWhatMayBeWithdrawn()
    {
        var history = new IAccountEvent[] { Created(Alice, overdraftLimitMinor: 10_00), Deposited(Alice, 100_00), Held(Alice, 60_00) };

        AccountSpec.Given(history)
            .When(new Withdraw(Alice, 50_00, null, Now))
            .Then(new MoneyWithdrawn(Alice, 50_00, "EUR", null, Now));
        AccountSpec.Given(history)
            .When(new Withdraw(Alice, 50_01, null, Now))
            .ThenRejects<InsufficientFunds>()
            .Message.Should().Be($"Account {Alice} cannot be debited 50.01 EUR: balance 100.00 EUR, overdraft limit 10.00 EUR, held 60.00 EUR.");
    }

    [Fact]
    public void OverdraftLimitAboveTheAmountMaximum_IsRejectedAtOpening()
    {
        var act = () => AccountDecider.Decide(new OpenAccount(Alice, "Alice", "CLF", long.MaxValue, Now));

        act.Should().ThrowExactly<AmountOutOfRange>();
    }

    /// <summary>
    /// Even a state no command can produce (an overdraft limit of long.MaxValue) must not let balance minus amount
    /// wrap around into an accepted withdrawal that Evolve could not apply.
    /// </summary>
    [Fact]
    public void BeyondWhatALongCanHoldWithHugeOverdraftLimit_IsRejectedNotWrapped()
    {
        var opened = AccountDecider.Evolve(null, AccountDecider.Decide(new OpenAccount(Alice, "Alice", "CLF", 0, Now)));
        var account = opened with { OverdraftLimitMinor = long.MaxValue, BalanceMinor = -9_220_000_000_000_000_000 };
        var amountMinor = 10_000_000_000_000_000L; // the largest single CLF amount

        var act = () => AccountDecider.Decide(new Withdraw(Alice, amountMinor, null, Now), account);

        act.Should().ThrowExactly<InsufficientFunds>();
    }
}
