using System.Net;
using System.Text;
using Ledger.Api.Security;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Contracts;
using Ledger.Development.Identity;
using Ledger.Testing;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Ledger.Api.Tests.Security;

/// <summary>
/// Who may call what, walked over every endpoint the API maps: anonymous callers get 401, callers without a permitted role
/// 403, both as problems of their own; permitted roles get through. The endpoints come from the running API, so an endpoint
/// added without an entry here (and a policy there) fails the test.
/// </summary>
[Collection(ApiFixtureGroup.Name)]
public sealed class RoleMatrixTests(LedgerApiFactory factory)
{
    private const string Anonymous = "anonymous";

    private static readonly string[] Tellers = [Roles.Teller, Roles.Supervisor, Roles.Admin];
    private static readonly string[] Freezers = [Roles.Teller, Roles.Supervisor, Roles.Admin, Roles.Fraud];
    private static readonly string[] Supervisors = [Roles.Supervisor];
    private static readonly string[] Everyone = [Roles.Teller, Roles.Supervisor, Roles.Auditor, Roles.Analyst, Roles.Admin];
    private static readonly string[] Auditors = [Roles.Auditor, Roles.Admin];
    private static readonly string[] Readers = [Roles.Analyst, Roles.Auditor, Roles.Admin];
    private static readonly string[] Analysts = [Roles.Analyst, Roles.Admin];
    private static readonly string[] Admins = [Roles.Admin];

    /// <summary>Every endpoint, by name (or route for the unnamed ones), and the roles that may call it; null: anyone.</summary>
    private static readonly Dictionary<string, string[]?> Matrix = new()
    {
        ["OpenAccount"] = Tellers,
        ["Deposit"] = Tellers,
        ["Withdraw"] = Tellers,
        ["Transfer"] = Tellers,
        ["FreezeAccount"] = Freezers,
        ["UnfreezeAccount"] = Tellers,
        ["CloseAccount"] = Tellers,
        ["PlaceHold"] = Tellers,
        ["CaptureHold"] = Tellers,
        ["ReleaseHold"] = Tellers,
        ["Approve"] = Supervisors,
        ["Reject"] = Supervisors,
        ["ListApprovals"] = Supervisors,
        ["GetAccount"] = Everyone,
        ["GetTransfer"] = Everyone,
        ["GetHold"] = Everyone,
        ["ListHolds"] = Everyone,
        ["GetApproval"] = Everyone,
        ["GetAccountHistory"] = Auditors,
        ["GetAccountStatement"] = Auditors,
        ["VerifyAccountIntegrity"] = Auditors,
        ["VerifyLedgerIntegrity"] = Auditors,
        ["GetTrialBalance"] = Auditors,
        ["GetAuditStatus"] = Auditors,
        ["GetFraudAlerts"] = Auditors,
        ["ListProjections"] = Readers,
        ["GetRebuild"] = Readers,
        ["GetDailyVolumes"] = Readers,
        ["GetTopAccounts"] = Readers,
        ["RebuildProjection"] = Analysts,
        ["GetRelayStatus"] = Admins,
        ["GetSystem"] = Admins,
        ["GetConsumerGaps"] = Admins,
        ["/metrics"] = Admins,
        ["/health/live"] = null,
        ["/health/ready"] = null,
    };

    [Fact]
    public void EveryEndpoint_IsInTheMatrix_AndEveryProtectedOneNamesAPolicy()
    {
        var endpoints = Endpoints().ToList();

        endpoints.Select(e => e.Key).Should().BeEquivalentTo(Matrix.Keys, "every endpoint has a row in the matrix, and every row an endpoint");
        foreach (var endpoint in endpoints.Where(e => Matrix[e.Key] is not null))
        {
            var policies = endpoint.Endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(data => data.Policy).ToList();
            policies.Should().ContainSingle(policy => policy != null && Access.PolicyRoles.ContainsKey(policy),
                $"{endpoint.Key} is mapped under exactly one policy of Access");
        }
    }

    [Fact]
    public async Task EveryEndpoint_AnswersEachRoleAsTheMatrixSays()
    {
        var mismatches = new List<string>();
        foreach (var (key, method, path) in Endpoints().SelectMany(e => Requests(e.Key, e.Method, e.Path)))
        {
            var allowed = key == "GetAccount" && path.Contains("asOf=", StringComparison.Ordinal) ? Auditors : Matrix[key];
            foreach (var caller in Roles.All.Prepend(Anonymous))
            {
                using var response = await SendAsync(caller, method, path);
                var status = (int)response.StatusCode;
                var expected = allowed is null || allowed.Contains(caller) ? "through" : caller == Anonymous ? "401" : "403";
                var actual = status is 401 or 403 ? status.ToString(System.Globalization.CultureInfo.InvariantCulture) : "through";
                if (expected != actual || status >= 500)
                {
                    mismatches.Add($"{method} {path} as {caller}: expected {expected}, got {status}");
                }
            }
        }

        mismatches.Should().BeEmpty();
    }

    [Fact]
    public async Task Anonymous_IsAnUnauthenticatedProblemWithABearerChallenge()
    {
        using var response = await SendAsync(Anonymous, HttpMethod.Get, $"/api/v1/accounts/{Guid.NewGuid()}");

        var problem = await Teller.ExpectProblem(response, HttpStatusCode.Unauthorized, "/problems/unauthenticated");
        problem.GetProperty("detail").GetString().Should().Contain("Bearer");
        response.Headers.WwwAuthenticate.Should().ContainSingle(header => header.Scheme == "Bearer");
    }

    [Fact]
    public async Task WrongRole_IsAForbiddenProblemNamingTheRolesNeeded()
    {
        using var response = await SendAsync(Roles.Teller, HttpMethod.Get, $"/api/v1/accounts/{Guid.NewGuid()}/history");

        var problem = await Teller.ExpectProblem(response, HttpStatusCode.Forbidden, "/problems/forbidden");
        problem.GetProperty("detail").GetString().Should().Contain("auditor, admin").And.Contain("teller");
    }

    [Fact]
    public async Task ATellerAsksForAnAccountAsOfAnInstant_IsForbidden_ButItsCurrentViewIsNot()
    {
        var teller = new Teller(factory.CreateClient());
        var account = await teller.OpenAccountAsync();

        using var now = await teller.GetAsync($"{Teller.AccountsPath}/{account}");
        using var then = await teller.GetAsync($"{Teller.AccountsPath}/{account}?atVersion=1");

        now.StatusCode.Should().Be(HttpStatusCode.OK);
        await Teller.ExpectProblem(then, HttpStatusCode.Forbidden, "/problems/forbidden");
    }

    public static TheoryData<string, string> UntrustedTokens => new()
    {
        { "expired", Token(DevelopmentTokens.Key(TestTokens.KeyBase64), DateTimeOffset.UtcNow.AddHours(-3)) },
        { "signed with another key", Token(DevelopmentTokens.Key(Convert.ToBase64String(new byte[32])), DateTimeOffset.UtcNow) },
        { "not a token", "not-a-token" },
    };

    [Theory]
    [MemberData(nameof(UntrustedTokens))]
    public async Task UntrustedToken_IsUnauthenticated(string why, string token)
    {
        using var http = factory.CreateClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);

        using var response = await http.GetAsync(new Uri($"/api/v1/accounts/{Guid.NewGuid()}", UriKind.Relative));

        await Teller.ExpectProblem(response, HttpStatusCode.Unauthorized, "/problems/unauthenticated");
        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized, why);
    }

    private static string Token(Microsoft.IdentityModel.Tokens.SymmetricSecurityKey key, DateTimeOffset issuedAt) =>
        DevelopmentTokens.Mint(key, "mallory", [Roles.Admin], TimeSpan.FromHours(1), issuedAt);

    private IEnumerable<(string Key, string Method, string Path, Endpoint Endpoint)> Endpoints() =>
        factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(endpoint => endpoint.RoutePattern.RawText is { } raw && !raw.StartsWith("/swagger", StringComparison.Ordinal))
            .Select(endpoint => (
                Key: endpoint.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName ?? endpoint.RoutePattern.RawText!,
                Method: endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.Single() ?? "GET",
                Path: Fill(endpoint.RoutePattern.RawText!),
                Endpoint: (Endpoint)endpoint));

    /// <summary>The route with its parameters filled with values that exist nowhere, so no request changes anything.</summary>
    private static string Fill(string pattern) =>
        System.Text.RegularExpressions.Regex.Replace(pattern, @"\{([a-zA-Z]+)(:[a-z]+)?\}",
            match => match.Groups[1].Value == "name" ? "no-such-projection" : Guid.NewGuid().ToString());

    private static IEnumerable<(string Key, HttpMethod Method, string Path)> Requests(string key, string method, string path)
    {
        yield return (key, new HttpMethod(method), path);
        if (key == "GetAccount")
        {
            yield return (key, HttpMethod.Get, path + "?asOf=2026-01-01T00:00:00Z");
        }
    }

    private async Task<HttpResponseMessage> SendAsync(string caller, HttpMethod method, string path)
    {
        using var http = factory.CreateClient();
        http.DefaultRequestHeaders.Authorization = caller == Anonymous ? null : TestTokens.Bearer(caller);
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (method == HttpMethod.Post)
        {
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }

        return await http.SendAsync(request);
    }
}
