using System.Diagnostics;

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
}
