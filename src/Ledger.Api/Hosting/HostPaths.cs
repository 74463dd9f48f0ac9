namespace Ledger.Api.Hosting;

public static class HostPaths
{
    /// <summary>
    /// The folder holding appsettings.json: the application's own folder, unless the host is told otherwise (the test
    /// host passes <c>--contentRoot</c>).
    /// </summary>
    public static string? ContentRoot(string[] args) =>
        args.Any(arg => arg.StartsWith("--contentRoot", StringComparison.OrdinalIgnoreCase))
        || Environment.GetEnvironmentVariable("ASPNETCORE_CONTENTROOT") is not null
            ? null
            : AppContext.BaseDirectory;
}
