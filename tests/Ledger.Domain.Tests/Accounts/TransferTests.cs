using Ledger.Domain.Accounts;
using static Ledger.Domain.Tests.Facts;

namespace Ledger.Domain.Tests.Accounts;

public class TransferTests
{
    [Fact]
    public void BetweenTwoAccountsInOneCurrency_IsTransferred() =>
        TransferSpec.Given([Created(Alice), Deposited(Alice, 100_00)], [Created(Bob)])
            .When(new Transfer(TransferId, Alice, Bob, 12_34, "dinner", Now))
            .Then(new MoneyTransferred(TransferId, Alice, Bob, 12_34, "EUR", "dinner", Now));

    [Fact]
    public void EventCarriesTheAccountsCurrency() =>
        TransferSpec.Given([Created(Alice, "JPY"), Deposited(Alice, 1_000, "JPY")], [Created(Bob, "JPY")])
            .When(new Transfer(TransferId, Alice, Bob, 700, null, Now))
            .Then(new MoneyTransferred(TransferId, Alice, Bob, 700, "JPY", null, Now));

    [Fact]
    public void ToOverdrawnDestination_IsTransferred() =>
        TransferSpec.Given(
                [Created(Alice), Deposited(Alice, 100_00)],
                [Created(Bob, overdraftLimitMinor: 50_00), Withdrawn(Bob, 50_00)])
            .When(new Transfer(TransferId, Alice, Bob, 10_00, null, Now))
            .Then(new MoneyTransferred(TransferId, Alice, Bob, 10_00, "EUR", null, Now));

    [Fact]
    public void MoreThanSourceBalance_IsRejected()
    {
        var rejection = TransferSpec.Given([Created(Alice), Deposited(Alice, 100_00)], [Created(Bob), Deposited(Bob, 1_000_00)])
            .When(new Transfer(TransferId, Alice, Bob, 100_01, null, Now))
            .ThenRejects<InsufficientFunds>();

        // The source is the account that lacks the money, whatever the destination holds.
        rejection.AccountId.Should().Be(Alice);
        rejection.AvailableMinor.Should().Be(100_00);
    }

    [Fact]
    public void ExactlyToSourceOverdraftLimit_IsTransferred() =>
        TransferSpec.Given([Created(Alice, overdraftLimitMinor: 20_00), Deposited(Alice, 30_00)], [Created(Bob)])
            .When(new Transfer(TransferId, Alice, Bob, 50_00, null, Now))
            .Then(new MoneyTransferred(TransferId, Alice, Bob, 50_00, "EUR", null, Now));

    [Fact]
    public void OneMinorUnitBeyondSourceOverdraftLimit_IsRejected()
    {
        var rejection = TransferSpec.Given([Created(Alice, overdraftLimitMinor: 20_00), Deposited(Alice, 30_00)], [Created(Bob)])
            .When(new Transfer(TransferId, Alice, Bob, 50_01, null, Now))
            .ThenRejects<InsufficientFunds>();

        rejection.AccountId.Should().Be(Alice);
        rejection.AvailableMinor.Should().Be(50_00);
    }

    [Fact]
    public void DestinationOverdraftLimit_DoesNotCoverTheSource() =>
        TransferSpec.Given([Created(Alice)], [Created(Bob, overdraftLimitMinor: 1_000_00), Deposited(Bob, 1_000_00)])
            .When(new Transfer(TransferId, Alice, Bob, 1, null, Now))
            .ThenRejects<InsufficientFunds>()
            .AccountId.Should().Be(Alice);

    [Theory]
    [InlineData("EUR", "USD")]
    [InlineData("EUR", "JPY")]
    [InlineData("BHD", "KWD")]
    public void BetweenCurrencies_IsRejected(string fromCurrency, string toCurrency) =>
        TransferSpec.Given([Created(Alice, fromCurrency), Deposited(Alice, 100_000, fromCurrency)], [Created(Bob, toCurrency)])
            .When(new Transfer(TransferId, Alice, Bob, 1_00, null, Now))
            .ThenRejects<CurrencyMismatch>()
            .Message.Should().Be(
                $"A transfer needs both accounts in one currency; the source holds {fromCurrency} and the destination {toCurrency}.");

    [Fact]
    public void ToTheSameAccount_IsRejected() =>
        TransferSpec.GivenOneAccount(Created(Alice), Deposited(Alice, 100_00))
            .When(new Transfer(TransferId, Alice, Alice, 1_00, null, Now))
            .ThenRejects<SameAccount>()
            .Message.Should().Be($"A transfer needs two different accounts; {Alice} is on both sides.");

    [Fact]
    public void Zero_IsRejected() =>
        TransferSpec.Given([Created(Alice), Deposited(Alice, 100_00)], [Created(Bob)])
            .When(new Transfer(TransferId, Alice, Bob, 0, null, Now))
            .ThenRejects<AmountOutOfRange>()
            .Message.Should().Be("The amount must be greater than 0 and at most 1000000000000.00 EUR; got 0.00 EUR.");

    [Theory]
    [InlineData(-1)]
    [InlineData(long.MinValue)]
    public void Negative_IsRejected(long amountMinor) =>
        TransferSpec.Given([Created(Alice), Deposited(Alice, 100_00)], [Created(Bob), Deposited(Bob, 100_00)])
            .When(new Transfer(TransferId, Alice, Bob, amountMinor, null, Now))
            .ThenRejects<AmountOutOfRange>()
            .Message.Should().Contain("; got -").And.EndWith(" EUR.");

    [Theory]
    [InlineData("JPY", 1_000_000_000_000L)]
    [InlineData("EUR", 100_000_000_000_000L)]
    [InlineData("BHD", 1_000_000_000_000_000L)]
    [InlineData("CLF", 10_000_000_000_000_000L)]
    public void MaximumForCurrency_IsTransferred(string currency, long maximumMinor) =>
        TransferSpec.Given([Created(Alice, currency), Deposited(Alice, maximumMinor, currency)], [Created(Bob, currency)])
            .When(new Transfer(TransferId, Alice, Bob, maximumMinor, null, Now))
            .Then(new MoneyTransferred(TransferId, Alice, Bob, maximumMinor, currency, null, Now));

    [Theory]
    [InlineData("JPY", 1_000_000_000_000L)]
    [InlineData("EUR", 100_000_000_000_000L)]
    [InlineData("BHD", 1_000_000_000_000_000L)]
    [InlineData("CLF", 10_000_000_000_000_000L)]
    public void OneMinorUnitAboveMaximum_IsRejected(string currency, long maximumMinor) =>
        TransferSpec.Given([Created(Alice, currency), Deposited(Alice, 2 * maximumMinor, currency)], [Created(Bob, currency)])
            .When(new Transfer(TransferId, Alice, Bob, maximumMinor + 1, null, Now))
            .ThenRejects<AmountOutOfRange>()
            .Message.Should().StartWith("The amount must be greater than 0 and at most 1000000000000").And.EndWith($" {currency}.");

    [Fact]
    public void DestinationBalanceReachingLongMaxValueExactly_IsTransferred() =>
        TransferSpec.Given([Created(Alice), Deposited(Alice, 100)], [Created(Bob), Deposited(Bob, long.MaxValue - 100)])
            .When(new Transfer(TransferId, Alice, Bob, 100, null, Now))
            .Then(new MoneyTransferred(TransferId, Alice, Bob, 100, "EUR", null, Now));

    [Fact]
    public void DestinationBalanceBeyondLongMaxValue_IsRejected() =>
        TransferSpec.Given([Created(Alice), Deposited(Alice, 101)], [Created(Bob), Deposited(Bob, long.MaxValue - 100)])
            .When(new Transfer(TransferId, Alice, Bob, 101, null, Now))
            .ThenRejects<BalanceOutOfRange>()
            .Message.Should().Be($"Account {Bob} would hold a balance outside the range the ledger can represent.");

    [Fact]
    public void FrozenSource_IsRejected() =>
        TransferSpec.Given([Created(Alice), Deposited(Alice, 100_00), Frozen(Alice)], [Created(Bob)])
            .When(new Transfer(TransferId, Alice, Bob, 1_00, null, Now))
            .ThenRejects<AccountIsFrozen>()
            .Message.Should().StartWith($"Account {Alice} is frozen");

    [Fact]
    public void FrozenDestination_IsCredited() =>
        TransferSpec.Given([Created(Alice), Deposited(Alice, 100_00)], [Created(Bob), Frozen(Bob)])
            .When(new Transfer(TransferId, Alice, Bob, 1_00, null, Now))
            .Then(new MoneyTransferred(TransferId, Alice, Bob, 1_00, "EUR", null, Now));

    [Fact]
    public void ClosedDestination_IsRejected() =>
        TransferSpec.Given([Created(Alice), Deposited(Alice, 100_00)], [Created(Bob), Closed(Bob)])
            .When(new Transfer(TransferId, Alice, Bob, 1_00, null, Now))
            .ThenRejects<AccountIsClosed>()
            .Message.Should().StartWith($"Account {Bob} is closed");

    [Fact]
    public void OpenHoldsOfTheSource_ReduceWhatMayBeTransferred() =>
        TransferSpec.Given([Created(Alice), Deposited(Alice, 100_00), Held(Alice, 99_01)], [Created(Bob)])
            .When(new Transfer(TransferId, Alice, Bob, 1_00, null, Now))
            .ThenRejects<InsufficientFunds>();

    [Fact]
    public void DecidedAgainstAccountsTheCommandDoesNotName_ViolatesInvariant() =>
        TransferSpec.Given([Created(Alice), Deposited(Alice, 100_00)], [Created(Bob)])
            .When(new Transfer(TransferId, Alice, Carol, 1_00, null, Now))
            .ThenViolatesInvariant()
            .Message.Should().Be("Transfer decided against the wrong accounts.");

    [Fact]
    public void DecidedWithSidesSwapped_ViolatesInvariant() =>
        TransferSpec.Given([Created(Alice), Deposited(Alice, 100_00)], [Created(Bob)])
            .When(new Transfer(TransferId, Bob, Alice, 1_00, null, Now))
            .ThenViolatesInvariant();
}
