using System.Globalization;
using System.Text;
using FluentValidation;
using FluentValidation.Results;
using Ledger.Domain.Money;
using Mediator;

namespace Ledger.Api.Infrastructure;

/// <summary>Runs every FluentValidation validator of a message before its handler; a failure becomes a 400.</summary>
public sealed class ValidationBehavior<TMessage, TResponse>(IEnumerable<IValidator<TMessage>> validators)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : notnull, IMessage
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(next);
        var failures = new List<ValidationFailure>();
        foreach (var validator in validators)
        {
            var result = await validator.ValidateAsync(message, cancellationToken);
            failures.AddRange(result.Errors);
        }

        if (failures.Count > 0)
        {
            throw new ValidationException(failures);
        }

        return await next(message, cancellationToken);
    }
}

/// <summary>
/// The validator of a query message. It stops at the first invalid parameter, and within a parameter at its first broken
/// rule, so that a bad request is answered with one key and one message, as the endpoints did when they checked by hand.
/// </summary>
public abstract class QueryValidator<TQuery> : AbstractValidator<TQuery>
{
    protected QueryValidator()
    {
        ClassLevelCascadeMode = CascadeMode.Stop;
        RuleLevelCascadeMode = CascadeMode.Stop;
    }
}

/// <summary>Field and parameter rules shared by the command and query validators.</summary>
public static class Rules
{
    public const int ReferenceLengthMax = 140;
    public const int OwnerLengthMax = 200;

    public static IRuleBuilderOptions<T, AmountInput?> ValidAmount<T>(this IRuleBuilder<T, AmountInput?> rule) =>
        rule.NotNull().WithMessage("'{PropertyName}' is required.")
            .Must(amount => amount is null || amount.Value.IsReadable)
            .WithMessage("'{PropertyName}' must be a JSON number or a string holding a plain decimal number, such as \"12.34\".")
            .Must(amount => amount?.Value is not { } value || value > 0)
            .WithMessage("'{PropertyName}' must be greater than 0.")
            .Must(amount => amount?.Value is not { } value || value <= MinorUnits.AmountMaxMajor)
            .WithMessage($"'{{PropertyName}}' must be at most {MinorUnits.AmountMaxMajor:0.00}.");

    public static IRuleBuilderOptions<T, string?> ValidReference<T>(this IRuleBuilder<T, string?> rule) =>
        rule.MaximumLength(ReferenceLengthMax).VisibleText();

    /// <summary>
    /// Refuses control characters and invisible format characters (Unicode category Cf: zero-width spaces, byte-order
    /// marks, direction overrides that make "Invoice 42" display as something else). The zero-width joiner and non-joiner
    /// are kept where they join two non-ASCII characters, because emoji sequences and several scripts need them.
    /// </summary>
    public static IRuleBuilderOptions<T, string?> VisibleText<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(text => text is null || IsVisibleText(text))
            .WithMessage("'{PropertyName}' must not contain control characters or invisible formatting characters.");

    public static bool IsVisibleText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var runes = text.EnumerateRunes().ToArray();
        for (var i = 0; i < runes.Length; i++)
        {
            var category = Rune.GetUnicodeCategory(runes[i]);
            if (category == UnicodeCategory.Control || (category == UnicodeCategory.Format && !IsJoinerBetweenNonAscii(runes, i)))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsJoinerBetweenNonAscii(Rune[] runes, int index) =>
        runes[index].Value is 0x200C or 0x200D && index > 0 && index < runes.Length - 1 &&
        !runes[index - 1].IsAscii && !runes[index + 1].IsAscii;

    /// <summary>An optional RFC 3339 instant with an explicit offset; read it in the handler with <see cref="Instants.Validated"/>.</summary>
    public static IRuleBuilderOptions<T, string?> ValidInstant<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(text => string.IsNullOrEmpty(text) || Instants.IsRfc3339(text))
            .WithMessage("'{PropertyName}' must be an RFC 3339 instant with an offset, such as 2026-03-02T14:03:00Z.")
            .Must(text => string.IsNullOrEmpty(text) || Instants.TryParse(text, out _))
            .WithMessage("'{PropertyName}' is not a valid date and time.");

    /// <summary>An optional page size; the handler reads <c>limit ?? default</c>.</summary>
    public static IRuleBuilderOptions<T, int?> ValidLimit<T>(this IRuleBuilder<T, int?> rule, int max) =>
        rule.InclusiveBetween(1, max).WithMessage($"'{{PropertyName}}' must be between 1 and {max}.");

    /// <summary>An optional cursor, which only the endpoint that handed it out can read.</summary>
    public static IRuleBuilderOptions<T, string?> ValidCursor<T>(this IRuleBuilder<T, string?> rule, Func<string, bool> isCursor) =>
        rule.Must(text => text is null || isCursor(text))
            .WithMessage("'{PropertyName}' must be a cursor returned as 'nextCursor' by a previous page.");

    /// <summary>Converts a validated amount to minor units of the currency, refusing (never rounding) excess digits.</summary>
    public static long ToMinor(decimal major, Currency currency, string field)
    {
        ArgumentNullException.ThrowIfNull(currency);
        if (!MinorUnits.TryFromMajor(major, currency, out var minor))
        {
            throw Invalid.Parameter(field, $"'{field}' has more fractional digits than {currency.Code} allows ({currency.Exponent}).");
        }

        return minor;
    }

    /// <summary>Trims text input and turns empty text into null.</summary>
    public static string? Clean(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
