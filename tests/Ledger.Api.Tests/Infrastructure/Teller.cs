using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Ledger.Api.Tests.Infrastructure;

/// <summary>A teller's HTTP client: arranges state through the public API, never through inserts.</summary>
public sealed class Teller(HttpClient http)
{
    public HttpClient Http { get; } = http;

    public async Task<Guid> OpenAccountAsync(string currency = "EUR", decimal overdraftLimit = 0, string owner = "Ada Lovelace")
    {
        using var response = await Http.PostAsJsonAsync("/api/v1/accounts", new { owner, currency, overdraftLimit });
        var body = await Expect(response, HttpStatusCode.Created);
        return body.GetProperty("accountId").GetGuid();
    }

    public async Task<JsonElement> DepositAsync(Guid accountId, object amount)
    {
        using var response = await Http.PostAsJsonAsync($"/api/v1/accounts/{accountId}/deposits", new { amount });
        return await Expect(response, HttpStatusCode.OK);
    }

    public async Task<JsonElement> GetAccountAsync(Guid accountId)
    {
        using var response = await Http.GetAsync(new Uri($"/api/v1/accounts/{accountId}", UriKind.Relative));
        return await Expect(response, HttpStatusCode.OK);
    }

    public async Task<decimal> BalanceAsync(Guid accountId) => (await GetAccountAsync(accountId)).GetProperty("balance").GetDecimal();

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
}

public static class AccountViewJson
{
    /// <summary>
    /// A read's account view without its <c>sequence</c>: command responses carry the stream version only (the global
    /// sequence is assigned while they commit), so this is what a command's response must equal.
    /// </summary>
    public static string WithoutSequence(this JsonElement view)
    {
        var copy = System.Text.Json.Nodes.JsonNode.Parse(view.GetRawText())!.AsObject();
        copy.Remove("sequence").Should().BeTrue("a read of an account reports the sequence it reflects");
        return copy.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }
}
