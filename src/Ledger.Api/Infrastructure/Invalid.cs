using FluentValidation;
using FluentValidation.Results;

namespace Ledger.Api.Infrastructure;

/// <summary>
/// A value the client sent that cannot be used, found outside a validator (a parameter checked against stored state, an
/// amount with more digits than its account's currency): the same 400 <c>/problems/validation-error</c> as a validator's,
/// with the errors keyed by the parameter's or field's name.
/// </summary>
public static class Invalid
{
    public static ValidationException Parameter(string name, string message) => new([new ValidationFailure(name, message)]);
}
