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
        (await RunAsync("db", "migrate", "--connection", connectionString)).ExitCode.Should().Be(0);

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

    /// <summary>Runs the tool in a terminal type that advertises colours, with its output redirected to pipes.</summary>
    private static Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args) =>
        ChildProcess.RunAsync("ledger.dll", args, new Dictionary<string, string?>
        {
            ["TERM"] = "xterm-256color",
            ["COLORTERM"] = "truecolor",
            ["NO_COLOR"] = null,
        }, Patience);
}
