using System.Net;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using Ledger.Contracts;

namespace Ledger.Testing;

/// <summary>
/// A teller's HTTP client: arranges state through the public API, never through inserts. The <c>Raw</c> calls send bodies
/// exactly as written, so malformed input stays malformed; the others expect success and return the response body.
/// </summary>
public sealed class Teller(HttpClient http)
{
    public const string AccountsPath = "/api/v1/accounts";
    public const string TransfersPath = "/api/v1/transfers";
    public const string ApprovalsPath = "/api/v1/approvals";
    public const string CorrelationHeader = "X-Correlation-Id";

    public HttpClient Http { get; } = http.As(Roles.Teller);

    public static string Json(object body) => JsonSerializer.Serialize(body);

    public async Task<Guid> OpenAccountAsync(string currency = "EUR", decimal overdraftLimit = 0, string owner = "Ada Lovelace")
    {
        using var response = await OpenAccountRawAsync(new { owner, currency, overdraftLimit });
        var body = await Expect(response, HttpStatusCode.Created);
        return body.GetProperty("accountId").GetGuid();
    }

    /// <summary>Opens an account and credits it, returning its id.</summary>
    public async Task<Guid> OpenFundedAccountAsync(object deposit, string currency = "EUR", decimal overdraftLimit = 0)
    {
        var accountId = await OpenAccountAsync(currency, overdraftLimit);
        await DepositAsync(accountId, deposit);
        return accountId;
    }

    /// <summary>A deposit with an optional reference and correlation id; returns the account view after it.</summary>
    public async Task<JsonElement> DepositAsync(Guid accountId, object amount, string? reference = null, string? correlationId = null)
    {
        var headers = correlationId is null ? [] : new[] { (CorrelationHeader, correlationId) };
        using var response = await DepositRawAsync(accountId, Json(Movement(amount, reference)), headers);
        return await Expect(response, HttpStatusCode.OK);
    }

    public async Task<JsonElement> WithdrawAsync(Guid accountId, object amount, string? reference = null)
    {
        using var response = await WithdrawRawAsync(accountId, Json(Movement(amount, reference)));
        return await Expect(response, HttpStatusCode.OK);
    }

    public async Task<JsonElement> TransferAsync(Guid fromAccountId, Guid toAccountId, object amount, string? reference = null)
    {
        using var response = await TransferRawAsync(reference is null
            ? new { fromAccountId, toAccountId, amount }
            : new { fromAccountId, toAccountId, amount, reference });
        return await Expect(response, HttpStatusCode.Created);
    }

    public async Task<JsonElement> GetAccountAsync(Guid accountId)
    {
        using var response = await GetAsync($"{AccountsPath}/{accountId}");
        return await Expect(response, HttpStatusCode.OK);
    }

    public async Task<decimal> BalanceAsync(Guid accountId) => (await GetAccountAsync(accountId)).GetProperty("balance").GetDecimal();

    /// <summary>The account's balance exactly as the API wrote it (with the currency's digits) and its version.</summary>
    public async Task<(string Balance, long Version)> StateAsync(Guid accountId)
    {
        var view = await GetAccountAsync(accountId);
        return (view.GetProperty("balance").GetRawText(), view.GetProperty("version").GetInt64());
    }

    /// <summary>Freezes the account with a reason; returns the account view after it.</summary>
    public async Task<JsonElement> FreezeAsync(Guid accountId, string reason = "suspected fraud")
    {
        using var response = await FreezeRawAsync(accountId, Json(new { reason }));
        return await Expect(response, HttpStatusCode.OK);
    }

    public async Task<JsonElement> UnfreezeAsync(Guid accountId, string reason = "cleared")
    {
        using var response = await UnfreezeRawAsync(accountId, Json(new { reason }));
        return await Expect(response, HttpStatusCode.OK);
    }

    public async Task<JsonElement> CloseAsync(Guid accountId)
    {
        using var response = await CloseRawAsync(accountId, "{}");
        return await Expect(response, HttpStatusCode.OK);
    }

    /// <summary>Places a hold (with a new id unless given); returns the hold view, with the account after it.</summary>
    public async Task<JsonElement> PlaceHoldAsync(Guid accountId, object amount, Guid? holdId = null, string? reference = null)
    {
        var id = holdId ?? Guid.NewGuid();
        using var response = await PlaceHoldRawAsync(accountId, Json(reference is null ? (object)new { holdId = id, amount } : new { holdId = id, amount, reference }));
        return await Expect(response, HttpStatusCode.Created);
    }

    /// <summary>Captures a hold (in full without a body); returns the hold view, with the account after it.</summary>
    public async Task<JsonElement> CaptureAsync(Guid accountId, Guid holdId, object? body = null)
    {
        using var response = await CaptureRawAsync(accountId, holdId, body is null ? null : Json(body));
        return await Expect(response, HttpStatusCode.OK);
    }

    public async Task<JsonElement> ReleaseAsync(Guid accountId, Guid holdId)
    {
        using var response = await ReleaseRawAsync(accountId, holdId);
        return await Expect(response, HttpStatusCode.OK);
    }

    public async Task<JsonElement> GetHoldAsync(Guid accountId, Guid holdId)
    {
        using var response = await GetAsync(HoldPath(accountId, holdId));
        return await Expect(response, HttpStatusCode.OK);
    }

    public static string HoldsPath(Guid accountId) => $"{AccountsPath}/{accountId}/holds";

    public static string HoldPath(Guid accountId, Guid holdId) => $"{HoldsPath(accountId)}/{holdId}";

    public Task<HttpResponseMessage> FreezeRawAsync(Guid accountId, string json, params (string Name, string Value)[] headers) =>
        PostJsonAsync($"{AccountsPath}/{accountId}/freeze", json, headers);

    public Task<HttpResponseMessage> UnfreezeRawAsync(Guid accountId, string json, params (string Name, string Value)[] headers) =>
        PostJsonAsync($"{AccountsPath}/{accountId}/unfreeze", json, headers);

    public Task<HttpResponseMessage> CloseRawAsync(Guid accountId, string json, params (string Name, string Value)[] headers) =>
        PostJsonAsync($"{AccountsPath}/{accountId}/close", json, headers);

    public Task<HttpResponseMessage> PlaceHoldRawAsync(Guid accountId, string json, params (string Name, string Value)[] headers) =>
        PostJsonAsync(HoldsPath(accountId), json, headers);

    /// <summary>A capture; a null <paramref name="json"/> sends no body at all, as a client capturing the whole hold may.</summary>
    public Task<HttpResponseMessage> CaptureRawAsync(Guid accountId, Guid holdId, string? json, params (string Name, string Value)[] headers) =>
        json is null
            ? PostAsync($"{HoldPath(accountId, holdId)}/capture", headers)
            : PostJsonAsync($"{HoldPath(accountId, holdId)}/capture", json, headers);

    public Task<HttpResponseMessage> ReleaseRawAsync(Guid accountId, Guid holdId, params (string Name, string Value)[] headers) =>
        PostAsync($"{HoldPath(accountId, holdId)}/release", headers);

    /// <summary>A <c>POST</c> without a body (release, approve, reject).</summary>
    public Task<HttpResponseMessage> PostAsync(string path, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative));
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return Http.SendAsync(request);
    }

    public Task<HttpResponseMessage> OpenAccountRawAsync(object body) => PostJsonAsync(AccountsPath, Json(body));

    public Task<HttpResponseMessage> DepositRawAsync(Guid accountId, string json, params (string Name, string Value)[] headers) =>
        PostJsonAsync($"{AccountsPath}/{accountId}/deposits", json, headers);

    public Task<HttpResponseMessage> WithdrawRawAsync(Guid accountId, string json, params (string Name, string Value)[] headers) =>
        PostJsonAsync($"{AccountsPath}/{accountId}/withdrawals", json, headers);

    public Task<HttpResponseMessage> TransferRawAsync(object body) => PostJsonAsync(TransfersPath, Json(body));

    public Task<HttpResponseMessage> GetAsync(string path) => Http.GetAsync(new Uri(path, UriKind.Relative));

    public Task<HttpResponseMessage> PostJsonAsync(string path, string json, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return Http.SendAsync(request);
    }

    public static async Task<JsonElement> Expect(HttpResponseMessage response, HttpStatusCode status)
    {
        ArgumentNullException.ThrowIfNull(response);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(status, "the body was {0}", text);
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Asserts an RFC 9457 problem of the given status and type; returns its body.</summary>
    public static async Task<JsonElement> ExpectProblem(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        ArgumentNullException.ThrowIfNull(response);
        var body = await Expect(response, status);
        response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json");
        body.GetProperty("type").GetString().Should().Be(type);
        body.GetProperty("status").GetInt32().Should().Be((int)status);
        return body;
    }

    /// <summary>A 400 validation problem naming <paramref name="field"/> in <c>errors</c> with at least one message.</summary>
    public static Task<JsonElement> ExpectValidationError(HttpResponseMessage response, string field) =>
        ExpectFieldProblem(response, ProblemTypes.Validation, field);

    /// <summary>A 400 problem of <paramref name="type"/> naming <paramref name="field"/> in <c>errors</c>.</summary>
    public static async Task<JsonElement> ExpectFieldProblem(HttpResponseMessage response, string type, string field)
    {
        var problem = await ExpectProblem(response, HttpStatusCode.BadRequest, type);
        problem.TryGetProperty("errors", out var errors).Should().BeTrue("a 400 names the fields at fault; got {0}", problem);
        errors.TryGetProperty(field, out var messages).Should().BeTrue("errors should name '{0}'; got {1}", field, errors);
        messages.EnumerateArray().Should().NotBeEmpty().And.OnlyContain(message => !string.IsNullOrWhiteSpace(message.GetString()));
        return problem;
    }

    // A reference is left out rather than sent as null, as a teller's client that has none would.
    private static object Movement(object amount, string? reference) => reference is null ? new { amount } : new { amount, reference };
}
