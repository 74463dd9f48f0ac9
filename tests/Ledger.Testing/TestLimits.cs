using Microsoft.AspNetCore.Hosting;

namespace Ledger.Testing;

/// <summary>
/// Rate limits out of the way: every test client of a role shares one subject, and the suite sends far more than a teller
/// would, so test hosts raise the production defaults. The test of the limits themselves sets small ones.
/// </summary>
public static class TestLimits
{
    public static IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["RateLimits:Commands:PermitLimit"] = "1000000",
        ["RateLimits:Expensive:PermitLimit"] = "1000000",
    };

    public static void RaiseIn(IWebHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        foreach (var (name, value) in Settings)
        {
            builder.UseSetting(name, value);
        }
    }

    /// <summary>The same settings as environment variables, for a child-process API.</summary>
    public static IEnumerable<KeyValuePair<string, string?>> ChildProcessSettings =>
        Settings.Select(setting => KeyValuePair.Create(setting.Key.Replace(":", "__", StringComparison.Ordinal), setting.Value));
}
