using System.Globalization;
using Ledger.Domain.Money;

namespace Ledger.Domain.Tests.Money;

public class MinorUnitsTests
{
    private static readonly Currency Eur = Currency.Find("EUR");
    private static readonly Currency Jpy = Currency.Find("JPY");
    private static readonly Currency Bhd = Currency.Find("BHD");
    private static readonly Currency Clf = Currency.Find("CLF");

    [Theory]
    [InlineData("12.34", "EUR", 1234)]
    [InlineData("12.340", "EUR", 1234)]
    [InlineData("12.3", "EUR", 1230)]
    [InlineData("-12.34", "EUR", -1234)]
    [InlineData("0", "EUR", 0)]
    [InlineData("0.01", "EUR", 1)]
    [InlineData("5", "JPY", 5)]
    [InlineData("5.000", "JPY", 5)]
    [InlineData("1.234", "BHD", 1234)]
    [InlineData("0.0001", "CLF", 1)]
    [InlineData("1000000000000", "EUR", 100_000_000_000_000)]
    public void ExactMajorValue_Converts(string major, string code, long expectedMinor)
    {
        MinorUnits.TryFromMajor(Major(major), Currency.Find(code), out var minor)
            .Should().BeTrue();

        minor.Should().Be(expectedMinor);
    }

    [Theory]
    [InlineData("12.345", "EUR")]
    [InlineData("0.001", "EUR")]
    [InlineData("-0.001", "EUR")]
    [InlineData("12.349999999", "EUR")]
    [InlineData("5.1", "JPY")]
    [InlineData("0.5", "JPY")]
    [InlineData("1.2345", "BHD")]
    [InlineData("0.00001", "CLF")]
    public void MoreFractionalDigitsThanTheCurrencyHas_FailsAndNeverRounds(string major, string code)
    {
        MinorUnits.TryFromMajor(Major(major), Currency.Find(code), out var minor)
            .Should().BeFalse();

        minor.Should().Be(0);
    }

    [Theory]
    [InlineData("1000000000000001", "JPY")]
    [InlineData("-1000000000000001", "EUR")]
    [InlineData("79228162514264337593543950335", "EUR")]
    public void BeyondTheConversionBound_Fails(string major, string code) =>
        MinorUnits.TryFromMajor(Major(major), Currency.Find(code), out _)
            .Should().BeFalse();

    [Fact]
    public void AtTheConversionBound_Converts()
    {
        MinorUnits.TryFromMajor(1_000_000_000_000_000m, Bhd, out var minor).Should().BeTrue();

        minor.Should().Be(1_000_000_000_000_000_000);
    }

    /// <summary>
    /// With exponent 4 (CLF, UYW) a major value above long.MaxValue / 10_000 does not fit a long: a Try method must
    /// say false rather than throw.
    /// </summary>
    [Theory]
    [InlineData("922337203685478")]
    [InlineData("999999999999999.9999")]
    [InlineData("-1000000000000000")]
    public void BeyondWhatALongCanHoldWithExponentFour_FailsWithoutThrowing(string major)
    {
        var converted = true;
        var act = () => converted = MinorUnits.TryFromMajor(Major(major), Clf, out _);

        act.Should().NotThrow();
        converted.Should().BeFalse();
    }

    [Fact]
    public void ToMajor_HasTheCurrencyDigits()
    {
        MinorUnits.ToMajor(1234, Eur).Should().Be(12.34m);
        MinorUnits.ToMajor(1234, Eur).ToString(CultureInfo.InvariantCulture).Should().Be("12.34");
        MinorUnits.ToMajor(1000, Eur).ToString(CultureInfo.InvariantCulture).Should().Be("10.00");
        MinorUnits.ToMajor(-5, Eur).ToString(CultureInfo.InvariantCulture).Should().Be("-0.05");
        MinorUnits.ToMajor(0, Eur).ToString(CultureInfo.InvariantCulture).Should().Be("0.00");
        MinorUnits.ToMajor(7, Jpy).ToString(CultureInfo.InvariantCulture).Should().Be("7");
        MinorUnits.ToMajor(1, Bhd).ToString(CultureInfo.InvariantCulture).Should().Be("0.001");
        MinorUnits.ToMajor(12_340, Clf).ToString(CultureInfo.InvariantCulture).Should().Be("1.2340");
    }

    [Fact]
    public void ToMajorOfTheExtremes_IsExact()
    {
        MinorUnits.ToMajor(long.MaxValue, Eur).Should().Be(92_233_720_368_547_758.07m);
        MinorUnits.ToMajor(long.MinValue, Eur).Should().Be(-92_233_720_368_547_758.08m);
        MinorUnits.ToMajor(long.MinValue, Jpy).Should().Be(-9_223_372_036_854_775_808m);
    }

    [Theory]
    [InlineData(-1230, "EUR", "-12.30")]
    [InlineData(100_000_000_000_000, "EUR", "1000000000000.00")]
    [InlineData(5, "JPY", "5")]
    [InlineData(1234, "BHD", "1.234")]
    [InlineData(-1, "CLF", "-0.0001")]
    public void Format_IsInvariantWithTheCurrencyDigits(long minor, string code, string expected) =>
        MinorUnits.Format(minor, Currency.Find(code)).Should().Be(expected);

    [Theory]
    [InlineData("JPY", 1_000_000_000_000L)]
    [InlineData("EUR", 100_000_000_000_000L)]
    [InlineData("USD", 100_000_000_000_000L)]
    [InlineData("BHD", 1_000_000_000_000_000L)]
    [InlineData("CLF", 10_000_000_000_000_000L)]
    public void AmountMax_IsOneTrillionMajorUnits(string code, long expectedMinor) =>
        MinorUnits.AmountMax(Currency.Find(code)).Should().Be(expectedMinor);

    public static TheoryData<string> OneCurrencyPerExponent => new() { "JPY", "EUR", "BHD", "CLF" };

    [Theory]
    [MemberData(nameof(OneCurrencyPerExponent))]
    public void ToMajorThenFromMajor_RoundTrips(string code)
    {
        var currency = Currency.Find(code);
        var checkedCount = 0;
        foreach (var minor in SampleMinorValues(currency))
        {
            var major = MinorUnits.ToMajor(minor, currency);

            major.Scale.Should().Be((byte)currency.Exponent, because: $"{minor} {code} is shown with the currency's digits");
            MinorUnits.TryFromMajor(major, currency, out var back).Should().BeTrue(because: $"{major} {code} is exact");
            back.Should().Be(minor);
            checkedCount++;
        }

        checkedCount.Should().BeGreaterThan(10_000);
    }

    /// <summary>Parses invariantly; decimals cannot be attribute arguments, so theories pass them as text.</summary>
    private static decimal Major(string text) => decimal.Parse(text, NumberStyles.Number, CultureInfo.InvariantCulture);

    /// <summary>
    /// Edges plus a seeded spread over every order of magnitude, within the range <c>TryFromMajor</c> accepts
    /// (at most 1000 times the largest amount, and what a long holds).
    /// </summary>
    private static IEnumerable<long> SampleMinorValues(Currency currency)
    {
        var bound = (decimal)MinorUnits.AmountMax(currency) * 1000 >= long.MaxValue ? long.MaxValue : MinorUnits.AmountMax(currency) * 1000;
        long[] edges = [0, 1, -1, 9, 10, 11, 99, 100, 101, 999, 1000, 1001, MinorUnits.AmountMax(currency), bound, -bound];
        foreach (var edge in edges)
        {
            yield return edge;
        }

        if (bound == long.MaxValue)
        {
            yield return long.MinValue;
        }

        // A fixed seed keeps the test reproducible; the spread over magnitudes is what matters, not unpredictability.
        var random = new Random(20260302);
        for (var i = 0; i < 20_000; i++)
        {
            var magnitude = Math.Min(bound, (long)Math.Pow(10, random.Next(0, 19)));
            var value = random.NextInt64(0, magnitude) + 1;
            yield return random.Next(2) == 0 ? value : -value;
        }
    }
}
