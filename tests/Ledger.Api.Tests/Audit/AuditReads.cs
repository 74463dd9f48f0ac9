using System.Globalization;
using System.Net;
using System.Text.Json;
using Ledger.Api.Tests.Http;
using Ledger.Testing;

namespace Ledger.Api.Tests.Audit;

/// <summary>
/// Reads of the auditor endpoints and the instants between events. Instants are built from the <c>occurredAt</c> the
/// server recorded (to the microsecond), never from sleeping, so "between two events" is exact.
/// </summary>
public static class AuditReads
{
    /// <summary>The format of every <c>occurredAt</c> (docs/audit.md, rule 7).</summary>
    public const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    /// <summary>The resolution of recorded event times.</summary>
    public static readonly TimeSpan Microsecond = TimeSpan.FromTicks(10);

    public static string Format(DateTimeOffset instant) => instant.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    /// <summary>An instant as a query-string value.</summary>
    public static string Query(DateTimeOffset instant) => Uri.EscapeDataString(Format(instant));

    public static DateTimeOffset ParseTime(string text) =>
        DateTimeOffset.ParseExact(text, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    public static DateTimeOffset OccurredAt(this JsonElement entry) => ParseTime(entry.GetProperty("occurredAt").GetString()!);

    public static long Version(this JsonElement element) => element.GetProperty("version").GetInt64();

    public static long Sequence(this JsonElement element) => element.GetProperty("sequence").GetInt64();

    public static async Task<JsonElement> GetOkAsync(this Teller teller, string path)
    {
        using var response = await teller.GetAsync(path);
        return await Teller.Expect(response, HttpStatusCode.OK);
    }

    /// <summary>Every entry of an account in version order, following <c>nextCursor</c> as the recipe does.</summary>
    public static async Task<List<JsonElement>> HistoryAsync(this Teller teller, Guid accountId, int limit = 1000)
    {
        var entries = new List<JsonElement>();
        var after = "";
        for (var page = 0; page < 100; page++)
        {
            var body = await teller.GetOkAsync($"/api/v1/accounts/{accountId}/history?limit={limit}{after}");
            entries.AddRange(body.GetProperty("entries").EnumerateArray());
            if (NextCursor(body) is not { } cursor)
            {
                return entries;
            }

            after = "&after=" + cursor;
        }

        throw new InvalidOperationException($"History of {accountId} did not end within 100 pages.");
    }

    /// <summary>The page's <c>nextCursor</c>, or null when it is absent or null.</summary>
    public static string? NextCursor(JsonElement page) =>
        page.TryGetProperty("nextCursor", out var cursor) && cursor.ValueKind != JsonValueKind.Null ? cursor.GetString() : null;

    /// <summary>A 400 validation problem naming <paramref name="field"/>, for a GET.</summary>
    public static async Task<JsonElement> ExpectValidationErrorAsync(this Teller teller, string path, string field)
    {
        using var response = await teller.GetAsync(path);
        return await ApiCases.ExpectValidationError(response, field);
    }

    public static async Task<JsonElement> ExpectProblemAsync(this Teller teller, string path, HttpStatusCode status, string type)
    {
        using var response = await teller.GetAsync(path);
        return await Teller.ExpectProblem(response, status, type);
    }
}
