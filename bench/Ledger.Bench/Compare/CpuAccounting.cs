using System.Globalization;

namespace Ledger.Bench.Compare;

/// <summary>
/// CPU time each side of a run used, per committed transaction: where the time goes. Read from <c>/proc</c> (Linux), in
/// clock ticks of 10 ms: the API process; PostgreSQL (the postmaster, every live backend, and the backends that ended,
/// which the postmaster's children's times include); and this process (the load generator, the embedded Kafka broker
/// and, for pgbench runs, pgbench itself, a child that was waited for).
/// </summary>
internal sealed record CpuPerTransaction(double ApiMs, double PostgresMs, double BenchMs)
{
    public double TotalMs => ApiMs + PostgresMs + BenchMs;
}

internal readonly record struct CpuSnapshot(long ApiTicks, long PostgresTicks, long BenchTicks)
{
    private const double MillisecondsPerTick = 10;

    /// <summary>Zero on a system without /proc, so that a report elsewhere simply shows nothing spent.</summary>
    public static CpuSnapshot Take(int? apiProcessId, string postgresDataDirectory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return default;
        }

        var postmaster = int.Parse(File.ReadLines(Path.Combine(postgresDataDirectory, "postmaster.pid")).First().Trim(), CultureInfo.InvariantCulture);
        var postgres = Ticks(postmaster, withEndedChildren: true) +
                       Directory.EnumerateDirectories("/proc").Select(Path.GetFileName)
                           .Select(name => int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : 0)
                           .Where(pid => pid > 0 && ParentOf(pid) == postmaster)
                           .Sum(pid => Ticks(pid, withEndedChildren: false));
        return new CpuSnapshot(apiProcessId is { } api ? Ticks(api, withEndedChildren: false) : 0, postgres,
            Ticks(Environment.ProcessId, withEndedChildren: true));
    }

    public CpuPerTransaction PerTransactionSince(CpuSnapshot before, long transactions) =>
        transactions <= 0
            ? new CpuPerTransaction(0, 0, 0)
            : new CpuPerTransaction((ApiTicks - before.ApiTicks) * MillisecondsPerTick / transactions,
                (PostgresTicks - before.PostgresTicks) * MillisecondsPerTick / transactions,
                (BenchTicks - before.BenchTicks) * MillisecondsPerTick / transactions);

    // /proc/<pid>/stat: "pid (comm) state ppid ..."; after the comm, field 4 is ppid, 14/15 utime/stime, 16/17 cutime/cstime.
    private static string[]? Fields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static int ParentOf(int pid) => Fields(pid) is { } fields ? int.Parse(fields[1], CultureInfo.InvariantCulture) : 0;

    private static long Ticks(int pid, bool withEndedChildren)
    {
        if (Fields(pid) is not { } fields)
        {
            return 0;
        }

        // Indexes are field numbers minus 3 (pid and comm come before the split).
        var own = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return withEndedChildren ? own + long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture) : own;
    }
}
