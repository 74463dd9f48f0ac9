using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;

namespace Ledger.Domain.Money;

/// <summary>An ISO 4217 currency with its minor-unit exponent (EUR 2, JPY 0, BHD 3, CLF 4).</summary>
public sealed record Currency
{
    private Currency(string code, int exponent)
    {
        Code = code;
        Exponent = exponent;
        MinorPerMajor = Pow10(exponent);
    }

    public string Code { get; }

    /// <summary>Number of digits after the decimal point in the currency's minor unit.</summary>
    public int Exponent { get; }

    public long MinorPerMajor { get; }

    public override string ToString() => Code;

    public static bool TryFind(string? code, [NotNullWhen(true)] out Currency? currency) =>
        Known.TryGetValue(code ?? "", out currency);

    public static Currency Find(string code) =>
        TryFind(code, out var currency) ? currency : throw new ArgumentException($"'{code}' is not a known ISO 4217 currency.", nameof(code));

    public static IReadOnlyCollection<string> KnownCodes => Known.Keys;

    internal static long Pow10(int exponent)
    {
        long result = 1;
        for (var i = 0; i < exponent; i++)
        {
            result = checked(result * 10);
        }

        return result;
    }

    // Active ISO 4217 codes that name a currency with a defined minor unit (funds and precious metals without
    // one, such as XAU or XDR, are not accepted for accounts). Exponents from the ISO 4217 list.
    private static readonly FrozenDictionary<string, Currency> Known = BuildTable();

    private static FrozenDictionary<string, Currency> BuildTable()
    {
        const string twoDigits =
            "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF " +
            "CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD " +
            "HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT " +
            "MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR " +
            "SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU " +
            "UZS VED VES WST XCD XCG YER ZAR ZMW ZWG";
        const string zeroDigits = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF";
        const string threeDigits = "BHD IQD JOD KWD LYD OMR TND";
        const string fourDigits = "CLF UYW";

        var table = new Dictionary<string, Currency>(StringComparer.Ordinal);
        foreach (var (codes, exponent) in new[] { (zeroDigits, 0), (twoDigits, 2), (threeDigits, 3), (fourDigits, 4) })
        {
            foreach (var code in codes.Split(' '))
            {
                table.Add(code, new Currency(code, exponent));
            }
        }

        return table.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
