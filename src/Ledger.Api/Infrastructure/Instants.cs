using System.Globalization;
using System.Text.RegularExpressions;
using Ledger.EventStore.Audit;

namespace Ledger.Api.Infrastructure;

/// <summary>
/// Instants at the API's edge: read from query parameters as RFC 3339 with an explicit offset (<c>2026-03-02T14:03:00Z</c>),
/// written into responses in one format.
/// </summary>
public static partial class Instants
{
    /// <summary>
    /// Every instant the API writes as text: UTC with seven fractional digits. It is the hash chain's own format, so that
    /// an auditor recomputes an entry's hash from exactly what the API showed (ADR-005).
    /// </summary>
    public static string Format(DateTimeOffset instant) => HashChain.Time(instant);

    public static DateTimeOffset? Parse(string? text, string field)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var match = Rfc3339().Match(text);
        if (!match.Success)
        {
            throw Invalid.Parameter(field, $"'{field}' must be an RFC 3339 instant with an offset, such as 2026-03-02T14:03:00Z.");
        }

        // .NET keeps 7 fractional digits; finer digits cannot change which events are at or before the instant.
        var fraction = match.Groups["fraction"].Value;
        var normalized = match.Groups["main"].Value + (fraction.Length > 0 ? "." + fraction[..Math.Min(7, fraction.Length)] : "") +
                         match.Groups["offset"].Value.ToUpperInvariant();
        return DateTimeOffset.TryParse(normalized, CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant)
            ? instant.ToUniversalTime()
            : throw Invalid.Parameter(field, $"'{field}' is not a valid date and time.");
    }

    [GeneratedRegex(@"^(?<main>\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2})(\.(?<fraction>\d{1,9}))?(?<offset>[Zz]|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex Rfc3339();
}
