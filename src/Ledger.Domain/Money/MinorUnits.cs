using System.Globalization;

namespace Ledger.Domain.Money;

/// <summary>
/// Converts between major-unit decimals (what people type: 12.34) and the integer minor units the ledger stores (1234).
/// Conversion never rounds: a value with more fractional digits than the currency allows is refused.
/// </summary>
public static class MinorUnits
{
    /// <summary>The largest single amount the ledger accepts, in major units, whatever the currency.</summary>
    public const decimal AmountMaxMajor = 1_000_000_000_000.00m;

    public static long AmountMax(Currency currency) => checked((long)AmountMaxMajor * currency.MinorPerMajor);

    /// <summary>Converts a major-unit value; fails if it carries more fractional digits than the currency has.</summary>
    public static bool TryFromMajor(decimal major, Currency currency, out long minor)
    {
        minor = 0;
        // Bound first so the multiplication below cannot overflow a long.
        if (Math.Abs(major) > AmountMaxMajor * 1000)
        {
            return false;
        }

        var scaled = major * currency.MinorPerMajor;
        if (scaled != decimal.Truncate(scaled) || scaled > long.MaxValue || scaled < long.MinValue)
        {
            return false;
        }

        minor = (long)scaled;
        return true;
    }

    /// <summary>A major-unit decimal carrying exactly the currency's number of fractional digits (10.00 EUR, 5 JPY).</summary>
    public static decimal ToMajor(long minor, Currency currency)
    {
        var magnitude = minor == long.MinValue ? (ulong)long.MaxValue + 1 : (ulong)Math.Abs(minor);
        return new decimal((int)(magnitude & 0xFFFF_FFFF), (int)(magnitude >> 32), 0, minor < 0, (byte)currency.Exponent);
    }

    /// <summary>A sum of minor units (which may exceed a long) in major units with the currency's digits.</summary>
    public static decimal ToMajor(decimal minor, Currency currency)
    {
        ArgumentNullException.ThrowIfNull(currency);
        var zeroWithDigits = new decimal(0, 0, 0, false, (byte)currency.Exponent);
        return minor / currency.MinorPerMajor + zeroWithDigits;
    }

    /// <summary>Formats minor units as a plain decimal string with the currency's digits ("-12.30").</summary>
    public static string Format(long minor, Currency currency) =>
        ToMajor(minor, currency).ToString(CultureInfo.InvariantCulture);
}
