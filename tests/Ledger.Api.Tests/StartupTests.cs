using System.Net;
using System.Text;
using Ledger.Contracts;
using Ledger.Testing;

namespace Ledger.Api.Tests;

/// <summary>What a newcomer sees when the machine lacks PostgreSQL: one clear message and a non-zero exit.</summary>
public sealed class StartupTests
{
    [Fact]
    public async Task NoPostgresBinaries_ExitWithOneMessageNamingThePackageAndTheSetting()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"ledger-startup-{Guid.NewGuid():N}");
        await using var api = ApiProcess.Start(new Dictionary<string, string?>
        {
            ["ConnectionStrings__Ledger"] = "",
            ["Postgres__BinDirectory"] = Path.Combine(folder, "no-binaries-here"),
            ["Postgres__DataDirectory"] = Path.Combine(folder, "data"),
        });

        (await api.WaitForExitAsync()).Should().Be(1);
        api.StandardError.Should().StartWith("Ledger cannot start:").And.Contain("postgresql").And.Contain("ConnectionStrings:Ledger");
        api.StandardOutput.Should().NotContain("Now listening");
    }

    /// <summary>The body limit is Kestrel's, which the in-memory test server does not apply: run the real server.</summary>
    [Fact]
    public async Task BodyOverTheLimit_IsAPayloadTooLargeProblem()
    {
        var (api, address) = await ApiProcess.StartAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings__Ledger"] = PostgresServer.CreateDatabase(),
            ["Kafka__ConsumersEnabled"] = "false",
        });
        await using (api)
        {
            using var http = new HttpClient { BaseAddress = address }.As(Roles.Teller);
            var body = $$"""{"owner":"{{new string('a', 70_000)}}","currency":"EUR"}""";

            using var response = await http.PostAsync(new Uri("/api/v1/accounts", UriKind.Relative),
                new StringContent(body, Encoding.UTF8, "application/json"));

            response.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
            response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json");
            (await response.Content.ReadAsStringAsync()).Should().Contain("\"type\":\"/problems/payload-too-large\"");
        }
    }
}
