using System.Net;
using System.Text.Json;
using Ledger.Contracts;

namespace Ledger.Testing;

/// <summary>
/// An auditor's HTTP client: reads the ledger as it is and as it was (history, as-of views, statements, trial balance,
/// integrity) and never writes. Status checks are the <see cref="Teller"/>'s, so both roles judge responses alike.
/// </summary>
public sealed class Auditor(HttpClient http)
{
    /// <summary>More pages than any test account has, so a history that does not end is a bug, not a long wait.</summary>
    private const int HistoryPagesMax = 100;

    public HttpClient Http { get; } = http.As(Roles.Auditor);

    public Task<HttpResponseMessage> GetAsync(string path) => Http.GetAsync(new Uri(path, UriKind.Relative));

    public async Task<JsonElement> GetOkAsync(string path)
    {
        using var response = await GetAsync(path);
        return await Teller.Expect(response, HttpStatusCode.OK);
    }

    /// <summary>Every entry of an account in version order, following <c>nextCursor</c> as the recipe does.</summary>
    public async Task<List<JsonElement>> HistoryAsync(Guid accountId, int limit = 1000)
    {
        var entries = new List<JsonElement>();
        var after = "";
        for (var page = 0; page < HistoryPagesMax; page++)
        {
            var body = await GetOkAsync($"{Teller.AccountsPath}/{accountId}/history?limit={limit}{after}");
            entries.AddRange(body.GetProperty("entries").EnumerateArray());
            if (NextCursor(body) is not { } cursor)
            {
                return entries;
            }

            after = "&after=" + cursor;
        }

        throw new InvalidOperationException($"History of {accountId} did not end within {HistoryPagesMax} pages.");
    }

    /// <summary>The page's <c>nextCursor</c>, or null when it is absent or null.</summary>
    public static string? NextCursor(JsonElement page) =>
        page.TryGetProperty("nextCursor", out var cursor) && cursor.ValueKind != JsonValueKind.Null ? cursor.GetString() : null;

    public Task<JsonElement> IntegrityAsync(Guid accountId) => GetOkAsync($"{Teller.AccountsPath}/{accountId}/integrity");

    /// <summary>The trial balance now, or as of <paramref name="asOf"/>.</summary>
    public Task<JsonElement> BalancesAsync(DateTimeOffset? asOf = null) =>
        GetOkAsync("/api/v1/ledger/balances" + (asOf is { } instant ? $"?asOf={AuditTimes.Query(instant)}" : ""));

    /// <summary>A 400 validation problem naming <paramref name="field"/>, for a GET.</summary>
    public async Task<JsonElement> ExpectValidationErrorAsync(string path, string field)
    {
        using var response = await GetAsync(path);
        return await Teller.ExpectValidationError(response, field);
    }

    public async Task<JsonElement> ExpectProblemAsync(string path, HttpStatusCode status, string type)
    {
        using var response = await GetAsync(path);
        return await Teller.ExpectProblem(response, status, type);
    }
}
