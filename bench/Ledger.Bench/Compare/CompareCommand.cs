using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Ledger.Bench.Compare;

/// <summary>What one <c>compare</c> run measures; every count has a limit, so a typo cannot start a run of days.</summary>
internal sealed record CompareSettings(
    TimeSpan Duration,
    IReadOnlyList<int> Clients,
    int Accounts,
    int AsOfReads,
    TimeSpan Memory,
    string? OutPath,
    string CommandLine)
{
    /// <summary>Accounts in the hot set of the hot distribution.</summary>
    public const int HotAccounts = 10;

    /// <summary>The share of transfers of the hot distribution with both accounts in the hot set.</summary>
    public const double HotShare = 0.8;

    /// <summary>Histories of the as-of reads: events of each account read.</summary>
    public static readonly int[] AsOfHistories = [100, 10_000, 100_000];
}

/// <summary><c>compare</c>: the ledger's transfers over HTTP against pgbench's tpcb-like transactions, on one server.</summary>
internal static class CompareCommand
{
    private const int ClientsMax = 256;
    private const int AccountsMax = 1_000_000;
    private const int ReadsMax = 100_000;
    private static readonly TimeSpan DurationMax = TimeSpan.FromHours(1);

    public static Command Create(string[] args)
    {
        var duration = new Option<TimeSpan>("--duration")
        {
            Description = "How long each measured run lasts (each pgbench run, each ledger client count and distribution): 10s, 2m.",
            DefaultValueFactory = _ => TimeSpan.FromSeconds(30),
            CustomParser = result => ParseDuration(result, "--duration"),
        };
        var clients = new Option<int[]>("--clients")
        {
            Description = "Client counts, comma-separated; pgbench's scale is the largest.",
            DefaultValueFactory = _ => [1, 8, 32],
            CustomParser = ParseClients,
        };
        var accounts = new Option<int>("--accounts") { Description = "Accounts opened and funded for the transfers.", DefaultValueFactory = _ => 10_000 };
        accounts.Validators.Add(result => Within(result, "--accounts", CompareSettings.HotAccounts + 1, AccountsMax));
        var reads = new Option<int>("--reads") { Description = "As-of reads timed on each account.", DefaultValueFactory = _ => 1_000 };
        reads.Validators.Add(result => Within(result, "--reads", 10, ReadsMax));
        var memory = new Option<TimeSpan>("--memory")
        {
            Description = "Also run transfers at half the peak rate this long (10m) and sample the API's memory every 15 s; 0s to skip.",
            DefaultValueFactory = _ => TimeSpan.Zero,
            CustomParser = result => result.Tokens is [{ Value: "0" or "0s" }] ? TimeSpan.Zero : ParseDuration(result, "--memory"),
        };
        var output = new Option<string>("--out") { Description = "Also write every result as JSON to this file." };
        var command = new Command("compare",
            "Start a durable embedded PostgreSQL; run pgbench (tpcb-like) at each client count; start the API (Release) on the same " +
            "server and drive transfers over HTTP at each client count, uniform and hot; then as-of reads, relay lag and " +
            "rebuild throughput, and with --memory the API's memory over a long run. Prints one Markdown report.")
        {
            duration, clients, accounts, reads, memory, output,
        };
        command.SetAction((parse, cancellation) => CompareBenchmark.RunAsync(new CompareSettings(parse.GetValue(duration),
            parse.GetRequiredValue(clients), parse.GetValue(accounts), parse.GetValue(reads), parse.GetValue(memory), parse.GetValue(output),
            "dotnet run -c Release --project bench/Ledger.Bench -- " + string.Join(' ', args)), cancellation));
        return command;
    }

    private static void Within(OptionResult result, string name, int minimum, int maximum)
    {
        var value = result.GetValueOrDefault<int>();
        if (value < minimum || value > maximum)
        {
            result.AddError($"{name} must be from {minimum} to {maximum}, not {value}.");
        }
    }

    private static TimeSpan ParseDuration(ArgumentResult result, string name)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        var (digits, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], TimeSpan.FromMilliseconds(1))
            : text.EndsWith('s') ? (text[..^1], TimeSpan.FromSeconds(1))
            : text.EndsWith('m') ? (text[..^1], TimeSpan.FromMinutes(1))
            : (text, TimeSpan.Zero);
        if (unit == TimeSpan.Zero || !int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var count) ||
            unit * count < TimeSpan.FromSeconds(1) || unit * count > DurationMax)
        {
            result.AddError($"{name} must be a whole number with a unit (ms, s, m), from 1s to {DurationMax.TotalMinutes:F0}m, not '{text}'.");
            return TimeSpan.Zero;
        }

        return unit * count;
    }

    private static int[] ParseClients(ArgumentResult result)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        var counts = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count < 1 || count > ClientsMax)
            {
                result.AddError($"--clients must list counts from 1 to {ClientsMax}, comma-separated (1,8,32), not '{text}'.");
                return [];
            }

            counts.Add(count);
        }

        return [.. counts.Distinct().Order()];
    }
}
