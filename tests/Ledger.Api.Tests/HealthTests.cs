using System.Net;
using System.Text.Json;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Testing;

namespace Ledger.Api.Tests;

[Collection(ApiFixtureGroup.Name)]
public sealed class HealthTests(LedgerApiFactory factory)
{
    private readonly HttpClient _http = factory.CreateClient();

    [Fact]
    public async Task Live_IsHealthy_AndChecksNothingButTheProcess()
    {
        var (status, report) = await Health.ReadAsync(_http, "/health/live");

        status.Should().Be(HttpStatusCode.OK);
        report.GetProperty("status").GetString().Should().Be("Healthy");
        report.GetProperty("checks").GetArrayLength().Should().Be(0);
    }

    [Fact]
    public async Task Ready_NamesEveryCheckWithItsStatus()
    {
        // The shared host runs the relay and the consumers on its embedded Kafka, so every check is registered.
        var (status, report) = await Health.ReadAsync(_http, "/health/ready");

        status.Should().Be(HttpStatusCode.OK, "got {0}", report);
        report.GetProperty("status").GetString().Should().Be("Healthy", "got {0}", report);
        Health.Checks(report).Keys.Should().BeEquivalentTo("postgres", "schema", "kafka", "relay-lag", "consumer-gaps");
        Health.Checks(report).Values.Should().OnlyContain(check => check == "Healthy", "got {0}", report);
    }
}

/// <summary>Reads the health endpoints' JSON reports.</summary>
public static class Health
{
    public static async Task<(HttpStatusCode Status, JsonElement Report)> ReadAsync(HttpClient http, string path = "/health/ready")
    {
        ArgumentNullException.ThrowIfNull(http);
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
        response.Content.Headers.ContentType?.MediaType.Should().Be("application/json");
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    /// <summary>Each check's status by its name.</summary>
    public static Dictionary<string, string> Checks(JsonElement report) =>
        report.GetProperty("checks").EnumerateArray().ToDictionary(check => check.GetProperty("name").GetString()!,
            check => check.GetProperty("status").GetString()!);

    /// <summary>Asks until the named check has the status, then returns the HTTP status and the whole report.</summary>
    public static async Task<(HttpStatusCode Status, JsonElement Report)> UntilAsync(HttpClient http, string check, string status)
    {
        (HttpStatusCode, JsonElement) last = default;
        await Eventually.HoldsAsync(async () =>
        {
            last = await ReadAsync(http);
            return Checks(last.Item2).GetValueOrDefault(check) == status;
        }, $"readiness to report {check} {status}");
        return last;
    }
}
