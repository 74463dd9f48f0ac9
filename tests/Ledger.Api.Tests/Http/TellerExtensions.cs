using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ledger.Api.Tests.Infrastructure;

namespace Ledger.Api.Tests.Http;

/// <summary>Problem types the API promises (src/Ledger.Api/Infrastructure/Problems.cs), spelled out so a rename fails a test.</summary>
public static class ProblemTypes
{
    public const string Validation = "/problems/validation-error";
    public const string MalformedRequest = "/problems/malformed-request";
    public const string AccountNotFound = "/problems/account-not-found";
    public const string TransferNotFound = "/problems/transfer-not-found";
    public const string AccountAlreadyExists = "/problems/account-already-exists";
    public const string TransferAlreadyExists = "/problems/transfer-already-exists";
    public const string VersionMismatch = "/problems/version-mismatch";
    public const string InsufficientFunds = "/problems/insufficient-funds";
    public const string CurrencyMismatch = "/problems/currency-mismatch";
    public const string SameAccount = "/problems/same-account";
    public const string UnsupportedMediaType = "/problems/unsupported-media-type";
}

/// <summary>Raw-request helpers for the HTTP tests: bodies are sent exactly as written, so malformed input stays malformed.</summary>
public static partial class TellerExtensions
{
    public const string AccountsPath = "/api/v1/accounts";
    public const string TransfersPath = "/api/v1/transfers";

    /// <summary>Amounts that are neither a JSON number nor a string holding a plain decimal.</summary>
    public static TheoryData<string> UnreadableAmounts => new()
    {
        "\"1e3\"", "\"1,000.00\"", "\" 12\"", "\"12 \"", "\"abc\"", "\"\"", "true", "null", "{}", "[]",
    };

    /// <summary>Readable amounts that are not greater than zero.</summary>
    public static TheoryData<string> NonPositiveAmounts => new() { "0", "\"0\"", "\"0.00\"", "-1", "\"-5\"", "-0.01" };

    /// <summary>If-Match values that are not one quoted positive version.</summary>
    public static TheoryData<string> MalformedIfMatches => new() { "garbage", "1", "\"abc\"", "\"0\"", "\"-1\"", "\"\"" };

    public static string Json(object body) => JsonSerializer.Serialize(body);

    public static Task<HttpResponseMessage> OpenAccountRawAsync(this Teller teller, object body)
    {
        ArgumentNullException.ThrowIfNull(teller);
        return teller.PostJsonAsync(AccountsPath, Json(body));
    }

    public static Task<HttpResponseMessage> DepositRawAsync(this Teller teller, Guid accountId, string json, params (string Name, string Value)[] headers)
    {
        ArgumentNullException.ThrowIfNull(teller);
        return teller.PostJsonAsync($"{AccountsPath}/{accountId}/deposits", json, headers);
    }

    public static Task<HttpResponseMessage> WithdrawRawAsync(this Teller teller, Guid accountId, string json, params (string Name, string Value)[] headers)
    {
        ArgumentNullException.ThrowIfNull(teller);
        return teller.PostJsonAsync($"{AccountsPath}/{accountId}/withdrawals", json, headers);
    }

    public static async Task<JsonElement> WithdrawAsync(this Teller teller, Guid accountId, object amount)
    {
        using var response = await teller.WithdrawRawAsync(accountId, Json(new { amount }));
        return await Teller.Expect(response, HttpStatusCode.OK);
    }

    public static Task<HttpResponseMessage> TransferRawAsync(this Teller teller, object body)
    {
        ArgumentNullException.ThrowIfNull(teller);
        return teller.PostJsonAsync(TransfersPath, Json(body));
    }

    public static async Task<JsonElement> TransferAsync(this Teller teller, Guid fromAccountId, Guid toAccountId, object amount)
    {
        using var response = await teller.TransferRawAsync(new { fromAccountId, toAccountId, amount });
        return await Teller.Expect(response, HttpStatusCode.Created);
    }

    public static Task<HttpResponseMessage> GetAsync(this Teller teller, string path)
    {
        ArgumentNullException.ThrowIfNull(teller);
        return teller.Http.GetAsync(new Uri(path, UriKind.Relative));
    }

    /// <summary>Opens an account and credits it, returning its id.</summary>
    public static async Task<Guid> OpenFundedAccountAsync(this Teller teller, object deposit, string currency = "EUR", decimal overdraftLimit = 0)
    {
        ArgumentNullException.ThrowIfNull(teller);
        var accountId = await teller.OpenAccountAsync(currency, overdraftLimit);
        await teller.DepositAsync(accountId, deposit);
        return accountId;
    }

    /// <summary>The account's balance exactly as the API wrote it (with the currency's digits) and its version.</summary>
    public static async Task<(string Balance, long Version)> StateAsync(this Teller teller, Guid accountId)
    {
        ArgumentNullException.ThrowIfNull(teller);
        var view = await teller.GetAccountAsync(accountId);
        return (view.GetProperty("balance").GetRawText(), view.GetProperty("version").GetInt64());
    }

    /// <summary>A 400 validation problem naming <paramref name="field"/> in <c>errors</c> with at least one message.</summary>
    public static Task<JsonElement> ExpectValidationError(HttpResponseMessage response, string field) =>
        ExpectFieldProblem(response, ProblemTypes.Validation, field);

    /// <summary>A 400 problem of <paramref name="type"/> naming <paramref name="field"/> in <c>errors</c>.</summary>
    public static async Task<JsonElement> ExpectFieldProblem(HttpResponseMessage response, string type, string field)
    {
        var problem = await Teller.ExpectProblem(response, HttpStatusCode.BadRequest, type);
        problem.TryGetProperty("errors", out var errors).Should().BeTrue("a 400 names the fields at fault; got {0}", problem);
        errors.TryGetProperty(field, out var messages).Should().BeTrue("errors should name '{0}'; got {1}", field, errors);
        messages.EnumerateArray().Should().NotBeEmpty().And.OnlyContain(message => !string.IsNullOrWhiteSpace(message.GetString()));
        return problem;
    }

    /// <summary>Asserts the RFC 9457 members every problem of this API carries.</summary>
    public static void ShouldBeCompleteProblem(this JsonElement problem, int status)
    {
        foreach (var member in new[] { "type", "title", "detail" })
        {
            problem.TryGetProperty(member, out var value).Should().BeTrue("every problem has '{0}'; got {1}", member, problem);
            value.ValueKind.Should().Be(JsonValueKind.String);
            value.GetString().Should().NotBeNullOrWhiteSpace();
        }

        problem.GetProperty("type").GetString().Should().StartWith("/problems/", "types are the API's stable problem URIs");
        problem.GetProperty("status").GetInt32().Should().Be(status);
    }

    /// <summary>RFC 3339 in UTC: a full date-time ending in Z or +00:00.</summary>
    public static void ShouldBeUtcTimestamp(this JsonElement value)
    {
        value.ValueKind.Should().Be(JsonValueKind.String);
        value.GetString().Should().MatchRegex(Rfc3339Utc().ToString());
        value.GetDateTimeOffset().Offset.Should().Be(TimeSpan.Zero);
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$", RegexOptions.CultureInvariant)]
    private static partial Regex Rfc3339Utc();
}
