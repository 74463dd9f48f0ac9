using System.Net;
using System.Text.Json;
using Ledger.Api.Tests.Infrastructure;

namespace Ledger.Api.Tests;

[Collection(ApiFixtureGroup.Name)]
public sealed class OpenApiTests(LedgerApiFactory factory)
{
    private readonly HttpClient _http = factory.CreateClient();

    [Fact]
    public async Task Document_DescribesEveryTellerEndpoint()
    {
        using var response = await _http.GetAsync(new Uri("/swagger/v1/swagger.json", UriKind.Relative));

        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var paths = document.RootElement.GetProperty("paths").EnumerateObject().Select(path => path.Name).ToList();
        paths.Should().Contain([
            "/api/v1/accounts", "/api/v1/accounts/{accountId}", "/api/v1/accounts/{accountId}/deposits",
            "/api/v1/accounts/{accountId}/withdrawals", "/api/v1/transfers", "/api/v1/transfers/{transferId}",
        ]);
    }

    [Fact]
    public async Task SwaggerUi_IsServed()
    {
        using var response = await _http.GetAsync(new Uri("/swagger/index.html", UriKind.Relative));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
    }
}
