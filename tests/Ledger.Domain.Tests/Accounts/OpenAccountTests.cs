using Ledger.Domain.Accounts;
using static Ledger.Domain.Tests.Facts;

namespace Ledger.Domain.Tests.Accounts;

public class OpenAccountTests
{
    [Fact]
    public void NewAccount_IsCreated() =>
        AccountSpec.Given()
            .When(new OpenAccount(Alice, "Alice Liddell", "EUR", 50_00, Now))
            .Then(new AccountCreated(Alice, "Alice Liddell", "EUR", 50_00, Now));

    [Fact]
    public void ZeroOverdraftLimit_IsCreated() =>
        AccountSpec.Given()
            .When(new OpenAccount(Bob, "Bob", "EUR", 0, Now))
            .Then(new AccountCreated(Bob, "Bob", "EUR", 0, Now));

    [Theory]
    [InlineData("JPY")]
    [InlineData("BHD")]
    [InlineData("CLF")]
    [InlineData("USD")]
    public void AnyKnownCurrency_IsCreatedInThatCurrency(string currency) =>
        AccountSpec.Given()
            .When(new OpenAccount(Alice, "Alice", currency, 0, Now))
            .Then(new AccountCreated(Alice, "Alice", currency, 0, Now));

    [Theory]
    [InlineData("EURO")]
    [InlineData("eur")]
    [InlineData("")]
    [InlineData("XAU")]
    public void UnknownCurrency_ViolatesInvariant(string currency) =>
        AccountSpec.Given()
            .When(new OpenAccount(Alice, "Alice", currency, 0, Now))
            .ThenViolatesInvariant()
            .Message.Should().Be($"Unknown currency '{currency}' reached the domain.");

    [Theory]
    [InlineData(-1)]
    [InlineData(long.MinValue)]
    [InlineData(100_000_000_000_001)]
    public void OverdraftLimitOutOfRange_IsRejected(long overdraftLimitMinor) =>
        AccountSpec.Given()
            .When(new OpenAccount(Alice, "Alice", "EUR", overdraftLimitMinor, Now))
            .ThenRejects<AmountOutOfRange>();

    [Fact]
    public void NullCommand_Throws()
    {
        var act = () => AccountDecider.Decide((OpenAccount)null!);

        act.Should().ThrowExactly<ArgumentNullException>().WithParameterName("command");
    }
}
