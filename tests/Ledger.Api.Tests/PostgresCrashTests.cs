using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ledger.Development.Postgres;
using Ledger.Contracts;
using Ledger.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ledger.Api.Tests;

/// <summary>
/// Development mode: the API runs its own embedded PostgreSQL. When that server dies (kill -9 of the postmaster), requests
/// are answered 503 with Retry-After, never 500, and the API starts the server again by itself.
/// </summary>
public sealed class PostgresCrashTests
{
    [Fact]
    public async Task KilledEmbeddedPostgres_IsAnsweredUnavailableWithRetryAfter_UntilTheApiHasRestartedIt()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), $"ledger-crash-{Guid.NewGuid():N}");
        try
        {
            var (api, address) = await StartWithItsOwnPostgresAsync(dataDirectory, new Dictionary<string, string?>());
            await using (api)
            {
                using var http = new HttpClient { BaseAddress = address }.As(Roles.Teller);
                var accountId = await OpenAccountAsync(http);
                (await DepositAsync(http, accountId)).StatusCode.Should().Be(HttpStatusCode.OK);

                KillPostmaster(dataDirectory);
                var unavailable = await DepositUntilServedAgainAsync(http, accountId);

                unavailable.Should().NotBeEmpty("requests between the crash and the restart find no database");
                unavailable.Should().OnlyContain(answer => answer.Type == "/problems/database-unavailable" && answer.RetryAfter != null);
                api.Output.Should().NotContain(line => line.Contains("Ledger.Api.Infrastructure.ProblemHandler", StringComparison.Ordinal),
                    "an outage is not a bug: no error with a stack trace per request");
                api.Output.Count(line => line.Contains("Answering 503", StringComparison.Ordinal)).Should()
                    .BeLessThanOrEqualTo(unavailable.Count).And.BeLessThan(10, "the first of each kind is logged, the rest counted");
            }
        }
        finally
        {
            StopWhatTheApiLeft(dataDirectory);
        }
    }

    /// <summary>
    /// The API in Development with an embedded PostgreSQL of its own in <paramref name="dataDirectory"/>, which it starts
    /// again when it dies; no consumers. <paramref name="settings"/> add to or override that.
    /// </summary>
    internal static Task<(ChildProcess Api, Uri Address)> StartWithItsOwnPostgresAsync(string dataDirectory,
        IReadOnlyDictionary<string, string?> settings)
    {
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["ConnectionStrings__Ledger"] = "",
            ["Postgres__DataDirectory"] = dataDirectory,
            ["Kafka__ConsumersEnabled"] = "false",
        };
        foreach (var (name, value) in settings)
        {
            environment[name] = value;
        }

        return ApiProcess.StartAsync(environment);
    }

    /// <summary>Once the API is gone: adopts the server it left running and stops it, deleting the folder.</summary>
    internal static void StopWhatTheApiLeft(string dataDirectory) =>
        EmbeddedPostgres.Start(new EmbeddedPostgresOptions { DataDirectory = dataDirectory, DeleteOnStop = true }, NullLogger.Instance).Dispose();

    private sealed record Unavailable(string? Type, TimeSpan? RetryAfter);

    /// <summary>Deposits again and again until one succeeds; returns the 503 answers seen before. Any other answer fails.</summary>
    private static async Task<List<Unavailable>> DepositUntilServedAgainAsync(HttpClient http, Guid accountId)
    {
        var unavailable = new List<Unavailable>();
        await Eventually.HoldsAsync(async () =>
        {
            using var response = await DepositAsync(http, accountId);
            var text = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return true;
            }

            response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable, "the body was {0}", text);
            unavailable.Add(new Unavailable(JsonDocument.Parse(text).RootElement.GetProperty("type").GetString(),
                response.Headers.RetryAfter?.Delta));
            return false;
        }, "the ledger to serve again after the crash");
        return unavailable;
    }

    /// <summary>kill -9 of the PostgreSQL server that runs in <paramref name="dataDirectory"/>.</summary>
    internal static void KillPostmaster(string dataDirectory)
    {
        // postmaster.pid line 1 is the postmaster's process id.
        var pid = int.Parse(File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
        using var postmaster = Process.GetProcessById(pid);
        postmaster.Kill();
        postmaster.WaitForExit();
    }

    private static async Task<Guid> OpenAccountAsync(HttpClient http)
    {
        using var response = await http.PostAsJsonAsync("/api/v1/accounts", new { owner = "Ada Lovelace", currency = "EUR" });
        response.StatusCode.Should().Be(HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accountId").GetGuid();
    }

    private static Task<HttpResponseMessage> DepositAsync(HttpClient http, Guid accountId) =>
        http.PostAsJsonAsync($"/api/v1/accounts/{accountId}/deposits", new { amount = "1.00" });
}
