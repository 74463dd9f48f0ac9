using System.Globalization;

namespace Ledger.Api.Infrastructure;

/// <summary>Strong ETags holding an account's stream version: <c>"7"</c>.</summary>
public static class ETags
{
    public static string Of(long version) => $"\"{version.ToString(CultureInfo.InvariantCulture)}\"";

    /// <summary>Reads an optional <c>If-Match: "n"</c>; anything else than one quoted version is a 400.</summary>
    public static long? ParseIfMatch(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var header = request.Headers.IfMatch.ToString().Trim();
        // "*" matches any current version (RFC 9110 13.1.1): no check.
        if (header.Length == 0 || header == "*")
        {
            return null;
        }

        if (header.Length > 2 && header[0] == '"' && header[^1] == '"' &&
            long.TryParse(header.AsSpan(1, header.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version > 0)
        {
            return version;
        }

        throw Invalid.Parameter("If-Match", "'If-Match' must be one quoted account version, such as \"3\".");
    }
}
