using System.Net;
using Ledger.Api.Tests.Infrastructure;

namespace Ledger.Api.Tests;

[Collection(ApiFixtureGroup.Name)]
public sealed class HealthTests(LedgerApiFactory factory)
{
    private readonly HttpClient _http = factory.CreateClient();

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task Probe_IsHealthy(string path)
    {
        using var response = await _http.GetAsync(new Uri(path, UriKind.Relative));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).Should().Be("Healthy");
    }
}
