using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace Ledger.Bench.Compare;

/// <summary>One pgbench run: its own TPS and average latency, and percentiles from its per-transaction log.</summary>
internal sealed record PgBenchRun(int Clients, int Threads, double Seconds, long Transactions, long Failed, double Tps,
    double LatencyAverageMs, LatencySummary Latency, CpuPerTransaction? Cpu = null);

/// <summary>
/// PostgreSQL's pgbench, from the bin folder of the server that runs, against its own database on that server: initialised
/// once at a scale of at least the largest client count, then the built-in tpcb-like script with prepared statements.
/// pgbench is a client, so it runs as the bench's own user and connects over TCP with the server's credentials.
/// </summary>
internal sealed partial class PgBench(string binDirectory, NpgsqlConnectionStringBuilder connection, string logFolder)
{
    private static readonly TimeSpan InitialiseLimit = TimeSpan.FromMinutes(30);

    // Beyond the run itself pgbench vacuums its tables and connects its clients first.
    private static readonly TimeSpan RunOverhead = TimeSpan.FromMinutes(5);

    private string Executable => Path.Combine(binDirectory, "pgbench");

    public async Task<string> VersionAsync(CancellationToken cancellation) =>
        (await RunAsync(["--version"], TimeSpan.FromSeconds(30), cancellation)).Output.Trim();

    /// <summary><c>pgbench -i -s scale</c>; returns how long it took.</summary>
    public async Task<TimeSpan> InitialiseAsync(int scale, CancellationToken cancellation)
    {
        var stopwatch = Stopwatch.StartNew();
        await RunAsync(["-i", "-s", scale.ToString(CultureInfo.InvariantCulture), "-q", .. Connection()], InitialiseLimit, cancellation);
        return stopwatch.Elapsed;
    }

    /// <summary><c>pgbench -M prepared -c N -j min(N, 2) -T seconds</c>, tpcb-like, with a log of every transaction's latency.</summary>
    public async Task<PgBenchRun> RunAsync(int clients, TimeSpan duration, CancellationToken cancellation)
    {
        var threads = Math.Min(clients, 2);
        var seconds = Math.Max(1, (int)Math.Round(duration.TotalSeconds));
        var prefix = Path.Combine(logFolder, $"pgbench-c{clients}");
        Directory.CreateDirectory(logFolder);
        var (output, _) = await RunAsync(
            ["-M", "prepared", "-c", Text(clients), "-j", Text(threads), "-T", Text(seconds), "-l", $"--log-prefix={prefix}", .. Connection()],
            TimeSpan.FromSeconds(seconds) + RunOverhead, cancellation);
        var latencies = ReadLog(prefix);
        return new PgBenchRun(clients, threads, seconds, (long)Number(ProcessedLine(), output), FailedLine().Match(output) is { Success: true } failed
                ? long.Parse(failed.Groups[1].Value, CultureInfo.InvariantCulture)
                : 0,
            Number(TpsLine(), output), Number(LatencyLine(), output), LatencySummary.FromMilliseconds(latencies));
    }

    private string[] Connection() =>
    [
        "-h", connection.Host ?? "127.0.0.1", "-p", Text(connection.Port), "-U", connection.Username ?? "postgres", connection.Database ?? "postgres",
    ];

    /// <summary>Every transaction's latency (the third field of each line, in µs) from the log files of the run, in ms.</summary>
    private static List<double> ReadLog(string prefix)
    {
        var latencies = new List<double>();
        foreach (var file in Directory.EnumerateFiles(Path.GetDirectoryName(prefix)!, Path.GetFileName(prefix) + ".*"))
        {
            foreach (var line in File.ReadLines(file))
            {
                var fields = line.Split(' ');
                if (fields.Length > 2 && long.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var micros))
                {
                    latencies.Add(micros / 1_000.0);
                }
            }

            File.Delete(file);
        }

        return latencies;
    }

    private async Task<(string Output, string Error)> RunAsync(IReadOnlyList<string> arguments, TimeSpan limit, CancellationToken cancellation)
    {
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = logFolder,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (!string.IsNullOrEmpty(connection.Password))
        {
            start.Environment["PGPASSWORD"] = connection.Password;
        }

        Directory.CreateDirectory(logFolder);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{Executable} did not start.");
        var output = process.StandardOutput.ReadToEndAsync(cancellation);
        var error = process.StandardError.ReadToEndAsync(cancellation);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"pgbench {string.Join(' ', arguments)} did not finish within {limit}.");
        }

        var (standardOutput, standardError) = (await output, await error);
        return process.ExitCode == 0
            ? (standardOutput, standardError)
            : throw new InvalidOperationException($"pgbench {string.Join(' ', arguments)} exited with {process.ExitCode}:{Environment.NewLine}{standardError}{standardOutput}");
    }

    private static double Number(Regex pattern, string output) => pattern.Match(output) is { Success: true } match
        ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
        : throw new InvalidOperationException($"pgbench's output has no line matching {pattern}:{Environment.NewLine}{output}");

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    // PostgreSQL 14 and later say "without initial connection time"; older releases "excluding connections establishing".
    [GeneratedRegex(@"^tps = ([0-9.]+) \((?:without initial connection time|excluding connections establishing)\)", RegexOptions.Multiline)]
    private static partial Regex TpsLine();

    [GeneratedRegex(@"^latency average = ([0-9.]+) ms", RegexOptions.Multiline)]
    private static partial Regex LatencyLine();

    [GeneratedRegex(@"^number of transactions actually processed: ([0-9]+)", RegexOptions.Multiline)]
    private static partial Regex ProcessedLine();

    [GeneratedRegex(@"^number of failed transactions: ([0-9]+)", RegexOptions.Multiline)]
    private static partial Regex FailedLine();
}
