using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using CsCheck;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Ledger.Api.Tests.Http;

/// <summary>
/// Generated hostile requests at every endpoint the running API maps, sent with an administrator's token: garbage bytes,
/// deep nesting, huge numbers, control characters, duplicate keys, oversized bodies, random path parameters, query strings
/// and headers. Whatever comes, the answer is not a 5xx, and a request that is not a success appends no event and changes
/// no balance. The API and its database are this class's own, so the event count moves only with these requests.
/// </summary>
public sealed class HostileRequestProperties(LedgerApiFactory factory) : IClassFixture<LedgerApiFactory>
{
    private const int Requests = 300;

    private static readonly string[] Fields =
    [
        "accountId", "owner", "currency", "overdraftLimit", "amount", "reference", "transferId", "fromAccountId", "toAccountId",
        "expectedVersion", "Amount", "AMOUNT", "__proto__", "$type", "",
    ];

    private static readonly string[] QueryNames =
        ["from", "to", "asOf", "atVersion", "limit", "after", "day", "date", "currency", "top", "name", "x", "", "from[]", "limit"];

    private static readonly string[] HostileValues =
    [
        "", "0", "-1", "1", "99999999999999999999999999999", "9223372036854775808", "-9223372036854775809", "1e400", "NaN",
        "Infinity", "null", "true", "[]", "{}", "2026-13-45", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.9999999Z",
        "2026-03-02T14:03:00+14:00", "2026-03-02T14:03:00", "%00", "%ZZ", "%", "a%0Ab", "%E2%80%AE", "%C3%28", "..%2F..%2F",
        "00000000-0000-0000-0000-000000000000", "{00000000-0000-0000-0000-000000000000}", "eyJhbGciOiJub25lIn0", "EUR", "eur",
    ];

    /// <summary>
    /// Path parameters. No <c>%00</c>: Kestrel refuses a NUL in a path with a 400 before the API sees it, while the in-memory
    /// test server throws on the client side instead.
    /// </summary>
    private static readonly string[] PathValues =
    [
        "00000000-0000-0000-0000-000000000000", "{00000000-0000-0000-0000-000000000000}", "00000000000000000000000000000000",
        "not-a-uuid", "..", "%2e%2e", "%2F", "null", "-1", "0", "9999999999999999999", "%E2%80%8B", "ledger-balances",
        "account-summary", "a%20b",
    ];

    private static readonly string[] ContentTypes =
    [
        "application/json", "application/json", "application/json", "application/json; charset=utf-8", "text/plain",
        "application/problem+json", "application/json; charset=utf-16", "multipart/form-data; boundary=x", "",
    ];

    private sealed record Hostile(int Endpoint, string[] PathParts, string Query, byte[] Body, string ContentType, string? IdempotencyKey,
        string? IfMatch)
    {
        public override string ToString() =>
            $"endpoint #{Endpoint}, path [{string.Join(", ", PathParts)}], query '{Query}', {ContentType}, key '{IdempotencyKey}', " +
            $"If-Match '{IfMatch}', body ({Body.Length} bytes) {Encoding.UTF8.GetString(Body.AsSpan(0, Math.Min(Body.Length, 300)))}";
    }

    [Fact]
    public async Task HostileRequests_AreNeverA5xx_AndRejectedOnesChangeNothing()
    {
        var teller = new Teller(factory.CreateClient());
        Guid[] accounts = [await teller.OpenFundedAccountAsync("100.00"), await teller.OpenFundedAccountAsync("5", "JPY"), await teller.OpenAccountAsync("USD")];
        var endpoints = Endpoints();
        endpoints.Should().Contain(endpoint => endpoint.Method == "POST" && endpoint.Pattern.Contains("deposits", StringComparison.Ordinal));
        using var http = factory.CreateClient();
        var failures = new List<string>();
        var (events, balances) = (await EventCountAsync(), await BalancesAsync(teller, accounts));

        await Generator(endpoints.Count, accounts).SampleAsync(async hostile =>
        {
            using var request = Build(hostile, endpoints[hostile.Endpoint], accounts);
            using var response = await http.SendAsync(request);
            var status = (int)response.StatusCode;
            var (eventsAfter, balancesAfter) = (await EventCountAsync(), await BalancesAsync(teller, accounts));
            if (status >= 500)
            {
                failures.Add($"{status} for {request.Method} {request.RequestUri}: {await response.Content.ReadAsStringAsync()} ({hostile})");
            }
            else if (status is < 200 or >= 300 && (eventsAfter != events || balancesAfter != balances))
            {
                failures.Add($"{status} for {request.Method} {request.RequestUri} changed the ledger: {events} → {eventsAfter} events, " +
                             $"{balances} → {balancesAfter} ({hostile})");
            }

            (events, balances) = (eventsAfter, balancesAfter);
        }, iter: Requests, threads: 1);

        failures.Should().BeEmpty();
    }

    private List<(string Method, string Pattern)> Endpoints() =>
        factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(endpoint => endpoint.RoutePattern.RawText is { } raw && !raw.StartsWith("/swagger", StringComparison.Ordinal))
            .Select(endpoint => (endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.Single() ?? "GET", endpoint.RoutePattern.RawText!))
            .OrderBy(endpoint => endpoint.Item2, StringComparer.Ordinal).ThenBy(endpoint => endpoint.Item1, StringComparer.Ordinal)
            .ToList();

    private static Gen<Hostile> Generator(int endpointCount, Guid[] accounts)
    {
        var ids = accounts.Select(id => id.ToString()).ToArray();
        var pathPart = Gen.Frequency(
            (3, Gen.OneOf(ids)),
            (3, Gen.OneOf(PathValues)),
            (1, Gen.Guid.Select(guid => guid.ToString())),
            (1, Gen.String.Select(text => Uri.EscapeDataString(text.Replace("\0", "", StringComparison.Ordinal)))));
        var query = Gen.Frequency(
            (2, Gen.Const("")),
            (3, Gen.Select(Gen.OneOf(QueryNames), Gen.OneOf(HostileValues), (name, value) => $"{name}={value}").Array[1, 4]
                .Select(pairs => "?" + string.Join('&', pairs))),
            (1, Gen.String.Select(text => "?" + Uri.EscapeDataString(text))));
        var key = Gen.Frequency(
            (4, Gen.Const<string?>((string?)null)),
            (1, Gen.Char[' ', '~'].Array[1, 300].Select(chars => (string?)new string(chars))),
            (1, Gen.OneOf<string?>("\t", "clé", "ключ", new string('k', 256))));
        var ifMatch = Gen.Frequency(
            (4, Gen.Const<string?>((string?)null)),
            (1, Gen.OneOf<string?>("\"1\"", "\"0\"", "\"-1\"", "\"99999999999999999999\"", "*", "W/\"1\"", "garbage", "\"2\", \"3\"")));
        return Gen.Select(Gen.Int[0, endpointCount - 1], pathPart.Array[2], query, Body(ids), Gen.OneOf(ContentTypes),
            Gen.Select(key, ifMatch), (endpoint, parts, q, body, contentType, headers) =>
                new Hostile(endpoint, parts, q, body, contentType, headers.Item1, headers.Item2));
    }

    private static Gen<byte[]> Body(string[] ids)
    {
        var text = Gen.Frequency(
            (2, Gen.String[Gen.Char['\0', '\u00A0'], 0, 40]),
            (2, Gen.String),
            (1, Gen.OneOf("\ud800", "a\udc00b", "\u202EInvoice", "=HYPERLINK(\"x\")", "EUR", "JPY", "eur", "Ada", "")),
            (1, Gen.Int[141, 300].Select(length => new string('r', length))));
        var number = Gen.Frequency(
            (2, Gen.OneOf("1", "0.01", "-1", "0", "1e400", "-1e400", "1e-400", "1E+2147483648", "79228162514264337593543950336",
                "0.000000000000000000000000000001", "1.001", "92233720368547758.08", "100000000000000", "-0", "1.5")),
            (1, Gen.Char['0', '9'].Array[1, 400].Select(digits => new string(digits))),
            (1, Gen.Select(Gen.Long, Gen.Int, (mantissa, exponent) => $"{mantissa}e{exponent}")));
        var value = Gen.Frequency(
            (3, text.Select(Quote)),
            (3, number),
            (1, number.Select(n => $"\"{n}\"")),
            (2, Gen.OneOf(ids).Select(id => $"\"{id}\"")),
            (1, Gen.OneOf("null", "true", "[]", "{}", "\"00000000-0000-0000-0000-000000000000\"", "NaN", "Infinity", "\"NaN\"")));
        var members = Gen.Select(Gen.OneOf(Fields), value, (name, v) => $"{Quote(name)}:{v}").Array[0, 6]
            .Select(pairs => "{" + string.Join(',', pairs) + "}");
        var nested = Gen.Select(Gen.Int[1, 3000], Gen.Bool, (depth, arrays) => arrays
            ? "{\"amount\":" + new string('[', depth) + new string(']', depth) + "}"
            : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth));
        var json = Gen.Frequency(
            (6, members),
            (2, nested),
            (1, Gen.Const("{\"owner\":\"" + new string('a', 70_000) + "\",\"currency\":\"EUR\"}")),
            (1, Gen.OneOf("", "null", "[]", "{", "\"", "{\"amount\":1,}", "{'amount':1}", "{\"amount\":1}{\"amount\":2}", "\uFEFF{\"amount\":1}")));
        return Gen.Frequency(
            (8, json.Select(Encoding.UTF8.GetBytes)),
            (1, Gen.Byte.Array[0, 400]));
    }

    /// <summary>A JSON string literal that escapes every character outside printable ASCII, lone surrogates included.</summary>
    private static string Quote(string text)
    {
        var quoted = new StringBuilder("\"");
        foreach (var c in text)
        {
            quoted.Append(c is >= ' ' and <= '~' and not '"' and not '\\' ? c.ToString() : $"\\u{(int)c:X4}");
        }

        return quoted.Append('"').ToString();
    }

    private static HttpRequestMessage Build(Hostile hostile, (string Method, string Pattern) endpoint, Guid[] accounts)
    {
        var part = 0;
        var path = Regex.Replace(endpoint.Pattern, @"\{[^}]+\}", _ => hostile.PathParts[part++ % hostile.PathParts.Length]);
        var request = new HttpRequestMessage(new HttpMethod(endpoint.Method), new Uri(path + hostile.Query, UriKind.Relative));
        if (endpoint.Method != "GET")
        {
            request.Content = new ByteArrayContent(hostile.Body);
            if (MediaTypeHeaderValue.TryParse(hostile.ContentType, out var contentType))
            {
                request.Content.Headers.ContentType = contentType;
            }
        }

        if (hostile.IdempotencyKey is { } key)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        }

        if (hostile.IfMatch is { } ifMatch)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        _ = accounts;
        return request;
    }

    private Task<long> EventCountAsync() =>
        Sql.ScalarAsync<long>(factory.ConnectionString, "select count(*) from ledger.mt_events where type <> 'tombstone'");

    private static async Task<string> BalancesAsync(Teller teller, Guid[] accounts)
    {
        var states = new List<string>();
        foreach (var account in accounts)
        {
            var (balance, version) = await teller.StateAsync(account);
            states.Add(string.Create(CultureInfo.InvariantCulture, $"{balance}@{version}"));
        }

        return string.Join(' ', states);
    }
}
