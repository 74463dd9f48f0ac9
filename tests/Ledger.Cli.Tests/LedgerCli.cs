using System.CommandLine;
using System.Text.Json;

namespace Ledger.Cli.Tests;

/// <summary>What one run of the tool left: its exit code and everything it wrote to stdout and stderr.</summary>
public sealed record CliResult(int ExitCode, string Output, string Error)
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    public JsonElement Json() => JsonDocument.Parse(Output).RootElement;

    public T Json<T>() => JsonSerializer.Deserialize<T>(Output, JsonOptions) ?? throw new InvalidOperationException("The output is JSON null.");

    /// <summary>Shown when an assertion on the result fails.</summary>
    public override string ToString() => $"exit code {ExitCode}{Environment.NewLine}stdout:{Environment.NewLine}{Output}" +
                                         $"{Environment.NewLine}stderr:{Environment.NewLine}{Error}";
}

/// <summary>
/// Runs <c>ledger</c> commands in this process, as the tool's Main does, with stdout and stderr captured: a writer that is
/// not the console is redirected output to the tool, so what tests see is what a script would read. The environment is
/// not Development, so commands check the schema rather than apply it: the first command is preceded by
/// <c>ledger db migrate</c>, as an operator would run it on a new database (ADR-015).
/// </summary>
public sealed class LedgerCli(string connectionString)
{
    private readonly Lazy<Task<CliResult>> _migrated = new(() => RunRawAsync(["db", "migrate", "--connection", connectionString]));

    public string ConnectionString { get; } = connectionString;

    /// <summary>Runs the command against this test's database.</summary>
    public Task<CliResult> RunAsync(params string[] args) => RunAsync(args, CancellationToken.None);

    public async Task<CliResult> RunAsync(IReadOnlyList<string> args, CancellationToken cancellation)
    {
        var migrated = await _migrated.Value;
        if (migrated.ExitCode != 0)
        {
            throw new InvalidOperationException($"ledger db migrate failed on the test's database: {migrated}");
        }

        return await RunRawAsync([.. args, "--connection", ConnectionString], cancellation);
    }

    public Task<CliResult> SeedAsync(int accounts = 50, int transfers = 500, int seed = 1, bool json = true) =>
        RunAsync(["seed", "--accounts", $"{accounts}", "--transfers", $"{transfers}", "--seed", $"{seed}", .. (json ? ["--json"] : Array.Empty<string>())],
            CancellationToken.None);

    /// <summary>Runs exactly the given arguments (no connection added).</summary>
    public static async Task<CliResult> RunRawAsync(IReadOnlyList<string> args, CancellationToken cancellation = default)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await LedgerCommand.InvokeAsync(args, new InvocationConfiguration { Output = output, Error = error }, cancellation);
        return new CliResult(exitCode, output.ToString(), error.ToString());
    }
}
