using System.Net;
using System.Text;
using System.Text.Json;
using Ledger.Contracts;

namespace Ledger.Testing;

/// <summary>An analyst's HTTP client: the projections, their rebuilds and the reports. Status checks are the <see cref="Teller"/>'s.</summary>
public sealed class Analyst(HttpClient http)
{
    public const string ProjectionsPath = "/api/v1/projections";

    public HttpClient Http { get; } = http.As(Roles.Analyst);

    public Task<HttpResponseMessage> GetAsync(string path) => Http.GetAsync(new Uri(path, UriKind.Relative));

    public async Task<JsonElement> GetOkAsync(string path)
    {
        using var response = await GetAsync(path);
        return await Teller.Expect(response, HttpStatusCode.OK);
    }

    /// <summary>Waits until every async projection has applied every committed event.</summary>
    public Task WaitForReportsAsync() =>
        Eventually.ReachesAsync(() => GetOkAsync(ProjectionsPath),
            list => list.EnumerateArray().All(p => p.GetProperty("lag").GetInt64() == 0), "every async projection at lag 0");

    /// <summary>Asks for a rebuild of <paramref name="projection"/>; the caller judges the answer (202, 404, 409).</summary>
    public Task<HttpResponseMessage> StartRebuildRawAsync(string projection) =>
        Http.PostAsync(new Uri($"{ProjectionsPath}/{projection}/rebuild", UriKind.Relative),
            new StringContent("{}", Encoding.UTF8, "application/json"));
}
