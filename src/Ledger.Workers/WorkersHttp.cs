using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Ledger.Workers;

/// <summary>
/// The workers' own small HTTP surface: health and metrics, no tokens (the workers have no identity provider of their own),
/// so it listens where only the cluster's network reaches (ADR-023; docs/operations.md).
/// </summary>
public static class WorkersHttp
{
    /// <summary>Where the workers listen: <c>Workers:Urls</c>, else <c>Urls</c> (ASPNETCORE_URLS), else <see cref="DefaultUrls"/>.</summary>
    public const string UrlsSetting = "Workers:Urls";

    /// <summary>Loopback by default: exposing the unauthenticated endpoints further is a deliberate setting.</summary>
    public const string DefaultUrls = "http://localhost:5090";

    public static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);

    public static string Urls(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return new[] { configuration[UrlsSetting], configuration["Urls"] }.FirstOrDefault(urls => !string.IsNullOrWhiteSpace(urls)) ?? DefaultUrls;
    }

    /// <summary>One line per address on standard output, so that an operator (or a test on port 0) knows where to probe.</summary>
    public static void PrintAddresses(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (var address in addresses)
        {
            Console.WriteLine($"Ledger workers listening on {address} (/health/live, /health/ready, /metrics)");
        }
    }
}
