using System.Globalization;
using Ledger.Api.Infrastructure;
using Ledger.Domain.Money;

namespace Ledger.Api.Reports;

/// <summary>Query parameters shared by the reports, checked with the same 400 shape as every other field.</summary>
internal static class ReportInputs
{
    public static DateOnly? Day(string? text, string field)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        return DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? day
            : throw Invalid.Parameter(field, $"'{field}' must be a date such as 2026-03-02.");
    }

    public static string? CurrencyCode(string? text) =>
        text is null ? null
        : Currency.TryFind(text, out var currency) ? currency.Code
        : throw Invalid.Parameter("currency", "'currency' must be an ISO 4217 code the ledger knows, such as EUR.");

    public static decimal Major(long minor, string currency) => MinorUnits.ToMajor(minor, Currency.Find(currency));
}
