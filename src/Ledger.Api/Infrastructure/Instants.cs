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

    /// <summary>Whether the text has the RFC 3339 shape with an offset; <see cref="TryParse"/> then checks it is a real date.</summary>
    public static bool IsRfc3339(string text) => Rfc3339().IsMatch(text);

    /// <summary>Reads an RFC 3339 instant with an offset as UTC; false for another shape or a date that does not exist.</summary>
    public static bool TryParse(string text, out DateTimeOffset instant)
    {
        instant = default;
        var match = Rfc3339().Match(text);
        if (!match.Success)
        {
            return false;
        }

        // .NET keeps 7 fractional digits; finer digits cannot change which events are at or before the instant.
        var fraction = match.Groups["fraction"].Value;
        var normalized = match.Groups["main"].Value + (fraction.Length > 0 ? "." + fraction[..Math.Min(7, fraction.Length)] : "") +
                         match.Groups["offset"].Value.ToUpperInvariant();
        if (!DateTimeOffset.TryParse(normalized, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
        {
            return false;
        }

        instant = parsed.ToUniversalTime();
        return true;
    }

    /// <summary>An optional instant parameter that its query's validator (<c>ValidInstant</c>) has accepted; null when absent.</summary>
    public static DateTimeOffset? Validated(string? text) =>
        string.IsNullOrEmpty(text) ? null
        : TryParse(text, out var instant) ? instant
        : throw new InvalidOperationException("The instant was not validated before the handler ran.");

    [GeneratedRegex(@"^(?<main>\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2})(\.(?<fraction>\d{1,9}))?(?<offset>[Zz]|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex Rfc3339();
}
