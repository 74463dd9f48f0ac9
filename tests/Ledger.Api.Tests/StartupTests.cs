using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Ledger.Testing;

namespace Ledger.Api.Tests;

/// <summary>What a newcomer sees when the machine lacks PostgreSQL: one clear message and a non-zero exit.</summary>
public sealed class StartupTests
{
    [Fact]
    public async Task NoPostgresBinaries_ExitWithOneMessageNamingThePackageAndTheSetting()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"ledger-startup-{Guid.NewGuid():N}");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet",
            [Path.Combine(AppContext.BaseDirectory, "Ledger.Api.dll"), "--urls", "http://127.0.0.1:0"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.Environment["ConnectionStrings__Ledger"] = "";
        start.Environment["Postgres__BinDirectory"] = Path.Combine(folder, "no-binaries-here");
        start.Environment["Postgres__DataDirectory"] = Path.Combine(folder, "data");

        using var api = Process.Start(start)!;
        var errorTask = api.StandardError.ReadToEndAsync();
        var outputTask = api.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await api.WaitForExitAsync(timeout.Token);

        api.ExitCode.Should().Be(1);
        var error = await errorTask;
        error.Should().StartWith("Ledger cannot start:").And.Contain("postgresql").And.Contain("ConnectionStrings:Ledger");
        (await outputTask).Should().NotContain("Now listening");
    }

    /// <summary>The body limit is Kestrel's, which the in-memory test server does not apply: run the real server.</summary>
    [Fact]
    public async Task BodyOverTheLimit_IsAPayloadTooLargeProblem()
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet",
            [Path.Combine(AppContext.BaseDirectory, "Ledger.Api.dll"), "--urls", "http://127.0.0.1:0"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.Environment["ConnectionStrings__Ledger"] = PostgresServer.CreateDatabase();
        start.Environment["Kafka__ConsumersEnabled"] = "false";
        using var api = Process.Start(start)!;
        try
        {
            var address = await ListeningAddressAsync(api);
            using var http = new HttpClient { BaseAddress = new Uri(address) };
            var body = $$"""{"owner":"{{new string('a', 70_000)}}","currency":"EUR"}""";

            using var response = await http.PostAsync(new Uri("/api/v1/accounts", UriKind.Relative),
                new StringContent(body, Encoding.UTF8, "application/json"));

            response.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
            response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json");
            (await response.Content.ReadAsStringAsync()).Should().Contain("\"type\":\"/problems/payload-too-large\"");
        }
        finally
        {
            api.Kill(entireProcessTree: true);
            await api.WaitForExitAsync();
        }
    }

    private static async Task<string> ListeningAddressAsync(Process api)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (await api.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            var match = Regex.Match(line, @"Ledger API listening on (http://127\.0\.0\.1:\d+)");
            if (match.Success)
            {
                return match.Groups[1].Value;
            }
        }

        throw new InvalidOperationException($"The API exited before listening: {await api.StandardError.ReadToEndAsync()}");
    }
}
