using Ledger.Domain.Money;

namespace Ledger.Domain.Tests.Money;

public class CurrencyTests
{
    [Theory]
    [InlineData("EUR", 2, 100)]
    [InlineData("USD", 2, 100)]
    [InlineData("JPY", 0, 1)]
    [InlineData("BHD", 3, 1_000)]
    [InlineData("KWD", 3, 1_000)]
    [InlineData("CLF", 4, 10_000)]
    public void KnownCode_IsFoundWithItsExponent(string code, int exponent, long minorPerMajor)
    {
        Currency.TryFind(code, out var currency).Should().BeTrue();

        currency!.Code.Should().Be(code);
        currency.Exponent.Should().Be(exponent);
        currency.MinorPerMajor.Should().Be(minorPerMajor);
        currency.ToString().Should().Be(code);
    }

    [Theory]
    [InlineData("EURO")]
    [InlineData("eur")]
    [InlineData("Eur")]
    [InlineData("")]
    [InlineData(" EUR")]
    [InlineData("EUR ")]
    [InlineData("XAU")]
    [InlineData("XDR")]
    public void UnknownCode_IsNotFound(string code)
    {
        // Lookup is ordinal and case-sensitive by design: nothing upper-cases the code on the way in.
        Currency.TryFind(code, out var currency).Should().BeFalse();

        currency.Should().BeNull();
    }

    [Fact]
    public void NullCode_IsNotFound() =>
        Currency.TryFind(null, out _).Should().BeFalse();

    [Fact]
    public void FindKnownCode_ReturnsTheSameCurrencyAsTryFind()
    {
        Currency.TryFind("JPY", out var found);

        Currency.Find("JPY").Should().BeSameAs(found);
    }

    [Fact]
    public void FindUnknownCode_Throws() =>
        FluentActions.Invoking(() => Currency.Find("eur"))
            .Should().ThrowExactly<ArgumentException>()
            .WithMessage("'eur' is not a known ISO 4217 currency.*")
            .And.ParamName.Should().Be("code");

    [Fact]
    public void KnownCodes_AreThreeUpperCaseLettersAndEachIsFound()
    {
        Currency.KnownCodes.Should().HaveCount(166).And.Contain(["EUR", "USD", "JPY", "BHD", "KWD", "CLF"])
            .And.NotContain(["XAU", "XDR", "HRK", "SLL"]);

        foreach (var code in Currency.KnownCodes)
        {
            code.Should().MatchRegex("^[A-Z]{3}$");
            Currency.Find(code).Code.Should().Be(code);
        }
    }

    [Fact]
    public void KnownCurrencies_HaveExponentsFromZeroToFour() =>
        Currency.KnownCodes.Select(code => Currency.Find(code).Exponent).Distinct().Order()
            .Should().Equal(0, 2, 3, 4);

    [Fact]
    public void EveryKnownCurrency_HasMinorPerMajorTenToTheExponent()
    {
        foreach (var currency in Currency.KnownCodes.Select(Currency.Find))
        {
            currency.MinorPerMajor.Should().Be((long)Math.Pow(10, currency.Exponent), because: currency.Code);
        }
    }
}
