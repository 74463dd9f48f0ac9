using System.Net;
using Ledger.Contracts;
using Ledger.Testing;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Ledger.Api.Tests.Security;

/// <summary>
/// The development key: `ledger token` signs with the API's own, the API in Development accepts what it prints, and no
/// other environment starts with that key configured.
/// </summary>
public sealed class TokenStartupTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task TokenPrintedByTheCli_IsAcceptedByTheApiInDevelopment_WithItsRoleAndSubject()
    {
        var token = await TokenAsync("--role", "teller", "--subject", "ada", "--expires", "30m");
        var claims = new JsonWebTokenHandler().ReadJsonWebToken(token);
        claims.Subject.Should().Be("ada");
        claims.Claims.Where(c => c.Type == "role").Select(c => c.Value).Should().Equal("teller");
        claims.ValidTo.Should().BeCloseTo(DateTime.UtcNow.AddMinutes(30), TimeSpan.FromMinutes(2));

        // The API with its own development settings (not the tests' key).
        var (api, address) = await ApiProcess.StartAsync(new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Auth__DevelopmentSigningKey"] = null,
            ["ConnectionStrings__Ledger"] = PostgresServer.CreateDatabase(),
            ["Kafka__RelayEnabled"] = "false",
            ["Kafka__ConsumersEnabled"] = "false",
        });
        await using (api)
        {
            using var http = new HttpClient { BaseAddress = address };
            http.DefaultRequestHeaders.Authorization = new("Bearer", token);
            (await new Teller(new HttpClient { BaseAddress = address }).Http.GetAsync(new Uri("/api/v1/system", UriKind.Relative)))
                .StatusCode.Should().Be(HttpStatusCode.Unauthorized, "the tests' key is not the API's development key");

            using var open = await http.PostAsync(new Uri(Teller.AccountsPath, UriKind.Relative),
                new StringContent("""{"owner":"Ada","currency":"EUR"}""", System.Text.Encoding.UTF8, "application/json"));
            open.StatusCode.Should().Be(HttpStatusCode.Created);
            using var system = await http.GetAsync(new Uri("/api/v1/system", UriKind.Relative));
            system.StatusCode.Should().Be(HttpStatusCode.Forbidden, "a teller is not an administrator");
        }
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public async Task DevelopmentKey_OutsideDevelopment_RefusesToStartNamingIt(string environment)
    {
        await using var api = ApiProcess.Start(new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = environment,
            ["Auth__DevelopmentSigningKey"] = TestTokens.KeyBase64,
            ["ConnectionStrings__Ledger"] = PostgresServer.CreateDatabase(),
        });

        (await api.WaitForExitAsync()).Should().Be(1);
        api.StandardError.Should().StartWith("Ledger cannot start:").And.Contain("Auth:DevelopmentSigningKey").And.Contain(environment);
    }

    [Fact]
    public async Task NoAuthority_OutsideDevelopment_RefusesToStartNamingTheSettings()
    {
        await using var api = ApiProcess.Start(new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Auth__Authority"] = null,
            ["Auth__Audience"] = null,
            ["ConnectionStrings__Ledger"] = PostgresServer.CreateDatabase(),
        });

        (await api.WaitForExitAsync()).Should().Be(1);
        api.StandardError.Should().StartWith("Ledger cannot start:").And.Contain("Auth:Authority").And.Contain("Auth:Audience");
    }

    private static async Task<string> TokenAsync(params string[] args)
    {
        var result = await ChildProcess.RunAsync("ledger.dll", ["token", .. args],
            new Dictionary<string, string?> { ["DOTNET_ENVIRONMENT"] = "Development" }, Patience);
        result.ExitCode.Should().Be(0, result.ToString());
        return result.Output.Trim();
    }
}
