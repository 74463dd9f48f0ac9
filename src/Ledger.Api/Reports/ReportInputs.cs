using System.Globalization;
using FluentValidation;
using Ledger.Domain.Money;

namespace Ledger.Api.Reports;

/// <summary>Query parameter rules shared by the reports' validators, and the values they accepted.</summary>
internal static class ReportInputs
{
    /// <summary>An optional day such as 2026-03-02; read it in the handler with <see cref="ValidatedDay"/>.</summary>
    public static IRuleBuilderOptions<T, string?> ValidDay<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(text => string.IsNullOrEmpty(text) || TryParseDay(text, out _))
            .WithMessage("'{PropertyName}' must be a date such as 2026-03-02.");

    /// <summary>An optional ISO 4217 code the ledger knows; read it in the handler with <see cref="ValidatedCurrencyCode"/>.</summary>
    public static IRuleBuilderOptions<T, string?> ValidCurrencyCode<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(text => text is null || Currency.TryFind(text, out _))
            .WithMessage("'{PropertyName}' must be an ISO 4217 code the ledger knows, such as EUR.");

    public static DateOnly? ValidatedDay(string? text) =>
        string.IsNullOrEmpty(text) ? null
        : TryParseDay(text, out var day) ? day
        : throw new InvalidOperationException("The day was not validated before the handler ran.");

    public static string? ValidatedCurrencyCode(string? text) => text is null ? null : Currency.Find(text).Code;

    public static decimal Major(long minor, string currency) => MinorUnits.ToMajor(minor, Currency.Find(currency));

    private static bool TryParseDay(string text, out DateOnly day) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day);
}
