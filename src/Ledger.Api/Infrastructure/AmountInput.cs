using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Ledger.Api.Infrastructure;

/// <summary>
/// An amount as a client sent it: a JSON number, or a string holding a plain decimal number ("12.34": no exponent,
/// no thousands separators). Reading never fails the whole body; an unreadable amount becomes <see cref="Value"/> null
/// and the validator answers with a message about this field.
/// </summary>
[JsonConverter(typeof(AmountInputJsonConverter))]
public readonly record struct AmountInput(decimal? Value)
{
    public bool IsReadable => Value is not null;
}

public static class AmountInputs
{
    /// <summary>The amount of a command that passed validation, which refuses a missing or unreadable one.</summary>
    public static decimal Validated(this AmountInput? amount) =>
        amount?.Value ?? throw new InvalidOperationException("The amount was not validated before the handler ran.");
}

public sealed partial class AmountInputJsonConverter : JsonConverter<AmountInput>
{
    public override AmountInput Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                return reader.TryGetDecimal(out var number) ? new AmountInput(number) : new AmountInput(null);
            case JsonTokenType.String:
                var text = reader.GetString() ?? "";
                return PlainDecimal().IsMatch(text) &&
                       decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var parsed)
                    ? new AmountInput(parsed)
                    : new AmountInput(null);
            default:
                // The serializer buffers a whole value before calling a converter, so skipping it cannot run short.
                if (!reader.TrySkip())
                {
                    throw new JsonException("The amount value is incomplete.");
                }

                return new AmountInput(null);
        }
    }

    public override void Write(Utf8JsonWriter writer, AmountInput value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value.Value is { } number)
        {
            writer.WriteNumberValue(number);
        }
        else
        {
            writer.WriteNullValue();
        }
    }

    [GeneratedRegex(@"^-?[0-9]{1,28}(\.[0-9]{1,28})?$", RegexOptions.CultureInvariant)]
    private static partial Regex PlainDecimal();
}
