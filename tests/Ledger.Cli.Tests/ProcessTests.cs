using System.Diagnostics;
using Ledger.Testing;

namespace Ledger.Cli.Tests;

/// <summary>
/// The tool as a separate process with stdout redirected to a pipe, as in a script or CI log: here the console really is
/// redirected, and a terminal type that advertises colours must still not put escape codes in the output.
/// </summary>
public sealed class ProcessTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task RedirectedOutput_HasNoEscapeCodes_EvenWhenTheTerminalTypeHasColours()
    {
        var connectionString = PostgresServer.CreateDatabase();

        var seed = await RunAsync("seed", "--accounts", "20", "--transfers", "200", "--connection", connectionString);
        var list = await RunAsync("projections", "list", "--connection", connectionString);
        var verify = await RunAsync("projections", "verify", "accounts", "--connection", connectionString);

        foreach (var (exitCode, output, error) in new[] { seed, list, verify })
        {
            exitCode.Should().Be(0, error);
            output.Should().NotBeEmpty().And.NotContain("\u001b");
            error.Should().NotContain("\u001b");
        }

        list.Output.Should().Contain("account-activity");
        verify.Output.Should().Contain("accounts: identical");
    }

    [Fact]
    public async Task UsageError_ExitsWith2_FromTheRealEntryPoint()
    {
        var (exitCode, _, error) = await RunAsync("projections", "verify", "nothing-like-it");

        exitCode.Should().Be(2);
        error.Should().Contain("account-entries");
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet",
            [Path.Combine(AppContext.BaseDirectory, "ledger.dll"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["TERM"] = "xterm-256color";
        start.Environment["COLORTERM"] = "truecolor";
        start.Environment.Remove("NO_COLOR");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(Patience);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        return (process.ExitCode, await output, await error);
    }
}
