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

/// <summary>Field rules shared by the command validators.</summary>
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
