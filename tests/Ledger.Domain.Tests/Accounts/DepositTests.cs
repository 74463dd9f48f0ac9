using Ledger.Domain.Accounts;
using static Ledger.Domain.Tests.Facts;

namespace Ledger.Domain.Tests.Accounts;

public class DepositTests
{
    [Fact]
    public void IntoOpenAccount_IsDeposited() =>
        AccountSpec.Given(Created(Alice), Deposited(Alice, 10_00))
            .When(new Deposit(Alice, 12_34, "salary", Now))
            .Then(new MoneyDeposited(Alice, 12_34, "EUR", "salary", Now));

    [Fact]
    public void WithoutReference_IsDeposited() =>
        AccountSpec.Given(Created(Alice))
            .When(new Deposit(Alice, 1, null, Now))
            .Then(new MoneyDeposited(Alice, 1, "EUR", null, Now));

    [Fact]
    public void IntoOverdrawnAccount_IsDeposited() =>
        AccountSpec.Given(Created(Alice, overdraftLimitMinor: 100_00), Withdrawn(Alice, 80_00))
            .When(new Deposit(Alice, 5_00, null, Now))
            .Then(new MoneyDeposited(Alice, 5_00, "EUR", null, Now));

    [Fact]
    public void DecidedBeforeTheLastEvent_NeverGoesBackInTime() =>
        AccountSpec.Given(Created(Alice))
            .When(new Deposit(Alice, 1, null, Opened.AddSeconds(-5)))
            .Then(new MoneyDeposited(Alice, 1, "EUR", null, Opened));

    [Fact]
    public void DecidedBetweenMicroseconds_IsRecordedToTheMicrosecond() =>
        AccountSpec.Given(Created(Alice))
            .When(new Deposit(Alice, 1, null, Now.AddTicks(17)))
            .Then(new MoneyDeposited(Alice, 1, "EUR", null, Now.AddTicks(10)));

    [Fact]
    public void EventCarriesTheAccountCurrency() =>
        AccountSpec.Given(Created(Alice, "JPY"))
            .When(new Deposit(Alice, 500, null, Now))
            .Then(new MoneyDeposited(Alice, 500, "JPY", null, Now));

    [Fact]
    public void Zero_IsRejected() =>
        AccountSpec.Given(Created(Alice))
            .When(new Deposit(Alice, 0, null, Now))
            .ThenRejects<AmountOutOfRange>()
            .Message.Should().Be("The amount must be greater than 0 and at most 1000000000000.00 EUR; got 0.00 EUR.");

    [Theory]
    [InlineData(-1)]
    [InlineData(-12_34)]
    [InlineData(long.MinValue)]
    public void Negative_IsRejected(long amountMinor) =>
        AccountSpec.Given(Created(Alice))
            .When(new Deposit(Alice, amountMinor, null, Now))
            .ThenRejects<AmountOutOfRange>()
            .Message.Should().Contain("; got -").And.EndWith(" EUR.");

    [Theory]
    [InlineData("JPY", 1_000_000_000_000L)]
    [InlineData("EUR", 100_000_000_000_000L)]
    [InlineData("BHD", 1_000_000_000_000_000L)]
    [InlineData("CLF", 10_000_000_000_000_000L)]
    public void MaximumForCurrency_IsDeposited(string currency, long maximumMinor) =>
        AccountSpec.Given(Created(Alice, currency))
            .When(new Deposit(Alice, maximumMinor, null, Now))
            .Then(new MoneyDeposited(Alice, maximumMinor, currency, null, Now));

    [Theory]
    [InlineData("JPY", 1_000_000_000_000L)]
    [InlineData("EUR", 100_000_000_000_000L)]
    [InlineData("BHD", 1_000_000_000_000_000L)]
    [InlineData("CLF", 10_000_000_000_000_000L)]
    public void OneMinorUnitAboveMaximum_IsRejected(string currency, long maximumMinor) =>
        AccountSpec.Given(Created(Alice, currency))
            .When(new Deposit(Alice, maximumMinor + 1, null, Now))
            .ThenRejects<AmountOutOfRange>()
            .Message.Should().StartWith("The amount must be greater than 0 and at most 1000000000000").And.EndWith($" {currency}.");

    [Fact]
    public void BalanceReachingLongMaxValueExactly_IsDeposited() =>
        AccountSpec.Given(Created(Alice), Deposited(Alice, long.MaxValue - 100))
            .When(new Deposit(Alice, 100, null, Now))
            .Then(new MoneyDeposited(Alice, 100, "EUR", null, Now));

    [Fact]
    public void BalanceOneMinorUnitBeyondLongMaxValue_IsRejected() =>
        AccountSpec.Given(Created(Alice), Deposited(Alice, long.MaxValue - 100))
            .When(new Deposit(Alice, 101, null, Now))
            .ThenRejects<BalanceOutOfRange>()
            .Message.Should().Contain(Alice.ToString());

    [Fact]
    public void AnyAmountOntoLongMaxValueBalance_IsRejected() =>
        AccountSpec.Given(Created(Alice), Deposited(Alice, long.MaxValue))
            .When(new Deposit(Alice, 1, null, Now))
            .ThenRejects<BalanceOutOfRange>();

    [Fact]
    public void FrozenAccount_AcceptsTheCredit() =>
        AccountSpec.Given(Created(Alice), Frozen(Alice))
            .When(new Deposit(Alice, 1_00, null, Now))
            .Then(new MoneyDeposited(Alice, 1_00, "EUR", null, Now));

    [Fact]
    public void ClosedAccount_IsRejected() =>
        AccountSpec.Given(Created(Alice), Closed(Alice))
            .When(new Deposit(Alice, 1_00, null, Now))
            .ThenRejects<AccountIsClosed>()
            .Message.Should().Be($"Account {Alice} is closed: it takes no more movements, holds or changes.");
}
