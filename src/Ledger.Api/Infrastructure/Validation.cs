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
        rule.MaximumLength(ReferenceLengthMax)
            .Must(text => text is null || !text.Any(char.IsControl))
            .WithMessage("'{PropertyName}' must not contain control characters.");

    /// <summary>Converts a validated amount to minor units of the currency, refusing (never rounding) excess digits.</summary>
    public static long ToMinor(decimal major, Currency currency, string field)
    {
        ArgumentNullException.ThrowIfNull(currency);
        if (!MinorUnits.TryFromMajor(major, currency, out var minor))
        {
            throw new ValidationException([
                new ValidationFailure(field,
                    $"'{field}' has more fractional digits than {currency.Code} allows ({currency.Exponent}).", major),
            ]);
        }

        return minor;
    }

    /// <summary>Trims text input and turns empty text into null.</summary>
    public static string? Clean(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
