using System.Globalization;
using System.Text;

namespace Ledger.Bench.Compare;

internal sealed record ThroughputRatio(int Clients, string Distribution, double LedgerTransfersPerSecond, double PgBenchTps, double Ratio);

internal sealed record HotOverUniformRatio(int Clients, double Throughput, double P99);

internal sealed record AsOfRatio(int LongEvents, int ShortEvents, double P50, double P99);

internal sealed record Ratios(IReadOnlyList<ThroughputRatio> LedgerOverPgBench, IReadOnlyList<HotOverUniformRatio> HotOverUniform, AsOfRatio? AsOfLongOverShort)
{
    public static Ratios Of(IReadOnlyList<PgBenchRun> pgbench, IReadOnlyList<TransferRun> transfers, IReadOnlyList<AsOfRun> asOf)
    {
        var ledgerOverPgBench = transfers
            .Join(pgbench, run => run.Clients, run => run.Clients, (ledger, pg) =>
                new ThroughputRatio(ledger.Clients, ledger.Distribution, ledger.TransfersPerSecond, pg.Tps, Divide(ledger.TransfersPerSecond, pg.Tps)))
            .ToList();
        var hotOverUniform = transfers.GroupBy(run => run.Clients)
            .Select(runs => (Uniform: runs.FirstOrDefault(run => run.Distribution == "uniform"), Hot: runs.FirstOrDefault(run => run.Distribution == "hot")))
            .Where(pair => pair is { Uniform: not null, Hot: not null })
            .Select(pair => new HotOverUniformRatio(pair.Uniform!.Clients, Divide(pair.Hot!.TransfersPerSecond, pair.Uniform.TransfersPerSecond),
                Divide(pair.Hot.Latency.P99Ms, pair.Uniform.Latency.P99Ms)))
            .ToList();
        var (shortest, longest) = (asOf.MinBy(run => run.Events), asOf.MaxBy(run => run.Events));
        return new Ratios(ledgerOverPgBench, hotOverUniform, shortest is null || longest is null || shortest == longest
            ? null
            : new AsOfRatio(longest.Events, shortest.Events, Divide(longest.Latency.P50Ms, shortest.Latency.P50Ms),
                Divide(longest.Latency.P99Ms, shortest.Latency.P99Ms)));
    }

    private static double Divide(double numerator, double denominator) => denominator > 0 ? numerator / denominator : double.NaN;
}

/// <summary>Everything one <c>compare</c> run measured; written as JSON to <c>--out</c> and printed as Markdown.</summary>
internal sealed record CompareResults(
    DateTimeOffset Date,
    string Command,
    MachineInfo Machine,
    SoftwareVersions Versions,
    bool Durable,
    double DurationSeconds,
    IReadOnlyList<int> Clients,
    int Accounts,
    int HotAccounts,
    double HotShare,
    int PgBenchScale,
    double PgBenchInitialiseSeconds,
    IReadOnlyList<PgBenchRun> PgBench,
    SetupResult Setup,
    TransferRun WarmUp,
    IReadOnlyList<TransferRun> Transfers,
    RelayLagResult? RelayLag,
    MemoryCurve? Memory,
    IReadOnlyList<AsOfRun> AsOf,
    IReadOnlyList<RebuildRun> Rebuilds,
    Ratios Ratios,
    IReadOnlyList<string> Missing,
    CpuPerTransaction IdleCpu)
{
    public const string SharedCores =
        "The load generators share the machine's cores with the server: pgbench with PostgreSQL, and the bench (HTTP clients, " +
        "embedded Kafka broker, relay-lag consumer) with the API and PostgreSQL.";

    public string ToMarkdown()
    {
        var text = new StringBuilder();
        void Line(FormattableString? line = null) => text.AppendLine(line?.ToString(CultureInfo.InvariantCulture));

        Line($"# Ledger transfers over HTTP against pgbench");
        Line();
        Line($"- Date: {Date:yyyy-MM-dd HH:mm} UTC; command: `{Command}`");
        Line($"- Machine: {Machine.Cores} cores ({Machine.Cpu}), {Machine.MemoryGiB:F1} GiB, {Machine.OperatingSystem}, {Machine.Runtime}; load average {Machine.LoadAverageAtStart} at the start, {Machine.LoadAverageAtEnd} at the end");
        Line($"- PostgreSQL {Versions.PostgreSql} (embedded, {(Durable ? "durable: fsync, synchronous_commit and full_page_writes on" : "not durable: fsync off")}), {Versions.PgBench}, librdkafka {Versions.Librdkafka} (embedded broker); the API a {Versions.ApiConfiguration} build run by the bench's own dotnet host");
        Line($"- Each run {DurationSeconds:F0} s after a CHECKPOINT. pgbench: scale {PgBenchScale} (initialised in {PgBenchInitialiseSeconds:F1} s), built-in tpcb-like, `-M prepared -c N -j min(N,2)`, latency percentiles from its per-transaction log. Ledger: {Accounts:N0} accounts, closed-loop clients on one HttpClient, `POST /api/v1/transfers` with a teller token, latency from first attempt to final answer (retries included); hot = {HotShare:P0} of transfers between two of {HotAccounts} accounts. Warm-up before the ledger runs: {WarmUp.Seconds:F1} s, {WarmUp.Clients} clients, not counted.");
        Line($"- {SharedCores}");
        Line();
        Line($"| clients | pgbench TPS | pgbench avg ms | pgbench p50 / p95 / p99 ms | distribution | ledger transfers/s | ledger p50 / p95 / p99 ms | ledger ÷ pgbench |");
        Line($"|---:|---:|---:|---:|---|---:|---:|---:|");
        foreach (var run in Transfers)
        {
            var pg = PgBench.FirstOrDefault(p => p.Clients == run.Clients);
            var ratio = Ratios.LedgerOverPgBench.FirstOrDefault(r => r.Clients == run.Clients && r.Distribution == run.Distribution);
            Line($"| {run.Clients} | {pg?.Tps:F0} | {pg?.LatencyAverageMs:F2} | {pg?.Latency.P50Ms:F2} / {pg?.Latency.P95Ms:F2} / {pg?.Latency.P99Ms:F2} | {run.Distribution} | {run.TransfersPerSecond:F0} | {run.Latency.P50Ms:F1} / {run.Latency.P95Ms:F1} / {run.Latency.P99Ms:F1} | {ratio?.Ratio:F3} |");
        }

        Line();
        Line($"Ratios:");
        Line($"- ledger ÷ pgbench (transfers/s ÷ TPS): {string.Join("; ", Ratios.LedgerOverPgBench.Select(r => Format($"{ClientsText(r.Clients)} {r.Distribution} {r.Ratio:F3}")))}");
        Line($"- hot ÷ uniform: {string.Join("; ", Ratios.HotOverUniform.Select(r => Format($"{ClientsText(r.Clients)}: transfers/s {r.Throughput:F2}, p99 {r.P99:F2}")))}");
        Line($"- as-of({Ratios.AsOfLongOverShort?.LongEvents:N0}) ÷ as-of({Ratios.AsOfLongOverShort?.ShortEvents:N0}): {(Ratios.AsOfLongOverShort is { } asOf ? Format($"p50 {asOf.P50:F2}, p99 {asOf.P99:F2}") : "not measured")}");
        Line();
        AppendCpu(text);
        AppendErrors(text);
        AppendSideMeasurements(text);
        return text.ToString();
    }

    /// <summary>Where the time goes: CPU per committed transaction of each process, from /proc, over each whole run.</summary>
    private void AppendCpu(StringBuilder text)
    {
        text.AppendLine("CPU per committed transaction, ms (from /proc over each run; the machine has " + Format($"{Machine.Cores}") + " cores, so at most " +
                        Format($"{Machine.Cores * 1000:N0}") + " ms of CPU a second):");
        text.AppendLine();
        text.AppendLine("| run | API | PostgreSQL | bench (load generator, Kafka; pgbench itself for pgbench runs) | total |");
        text.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var pg in PgBench.Where(p => p.Cpu is not null))
        {
            text.AppendLine(Format($"| pgbench, {ClientsText(pg.Clients)} | - | {pg.Cpu!.PostgresMs:F2} | {pg.Cpu.BenchMs:F2} | {pg.Cpu.TotalMs:F2} |"));
        }

        foreach (var run in Transfers.Where(t => t.Cpu is not null))
        {
            text.AppendLine(Format($"| ledger, {ClientsText(run.Clients)}, {run.Distribution} | {run.Cpu!.ApiMs:F2} | {run.Cpu.PostgresMs:F2} | {run.Cpu.BenchMs:F2} | {run.Cpu.TotalMs:F2} |"));
        }

        text.AppendLine();
        text.AppendLine(Format($"With no load (10 s after the transfer runs, once the relay had caught up) the API used {IdleCpu.ApiMs:F1} ms, PostgreSQL {IdleCpu.PostgresMs:F1} ms and the bench {IdleCpu.BenchMs:F1} ms of CPU a second: the polling of the relay, the projections and the Kafka clients, included in the figures above."));
        text.AppendLine();
    }

    private void AppendErrors(StringBuilder text)
    {
        text.AppendLine(Format($"Set-up: {Setup.Accounts:N0} accounts opened and funded (2 commands each) in {Setup.Seconds:F1} s ({Setup.AccountsPerSecond:F0} accounts/s, {Setup.Retries} retries)."));
        text.AppendLine();
        text.AppendLine("| clients | distribution | committed | refused | gave up | transfers retried | transient answers (retried) | refusals |");
        text.AppendLine("|---:|---|---:|---:|---:|---:|---|---|");
        foreach (var run in Transfers.Prepend(WarmUp with { Distribution = "warm-up" }))
        {
            text.AppendLine(Format($"| {run.Clients} | {run.Distribution} | {run.Committed:N0} | {run.Refused} | {run.GaveUp} | {run.RetriedTransfers} | {Counts(run.Retries)} | {Counts(run.Errors)} |"));
        }

        text.AppendLine();
        foreach (var pg in PgBench.Where(p => p.Failed > 0))
        {
            text.AppendLine(Format($"pgbench with {pg.Clients} clients: {pg.Failed} failed transactions."));
        }
    }

    private void AppendSideMeasurements(StringBuilder text)
    {
        if (AsOf.Count > 0)
        {
            text.AppendLine("As-of reads over HTTP (`GET /api/v1/accounts/{id}?asOf=`, auditor token, one client, after a warm-up of a fifth as many):");
            text.AppendLine();
            text.AppendLine("| account events | seeded in s | reads | p50 ms | p95 ms | p99 ms | mean ms |");
            text.AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var run in AsOf)
            {
                text.AppendLine(Format($"| {run.Events:N0} | {run.SeedSeconds:F1} | {run.Reads:N0} | {run.Latency.P50Ms:F2} | {run.Latency.P95Ms:F2} | {run.Latency.P99Ms:F2} | {run.Latency.MeanMs:F2} |"));
            }

            text.AppendLine();
        }

        if (RelayLag is { } lag)
        {
            text.Append(Format($"Relay lag at half the peak uniform rate ({lag.Load.TargetPerSecond:F0} transfers/s asked, {lag.Load.TransfersPerSecond:F0} committed, up to {lag.Load.Clients} at once, {lag.Load.Seconds:F1} s; {lag.Messages:N0} transfer messages read): "))
                .Append(Format($"produced after the decision p50 {lag.ProducedAfterDecision.P50Ms:F1} ms, p99 {lag.ProducedAfterDecision.P99Ms:F1} ms; "))
                .Append(Format($"arrived at a consumer p50 {lag.ArrivedAfterDecision.P50Ms:F1} ms, p99 {lag.ArrivedAfterDecision.P99Ms:F1} ms (max {lag.ArrivedAfterDecision.MaxMs:F0} ms); "))
                .AppendLine(Format($"relay caught up {lag.RelayCaughtUpSeconds:F1} s after the load ended."));
            text.AppendLine();
        }

        if (Memory is { } memory)
        {
            text.AppendLine(Format($"The API's memory at half the peak uniform rate ({memory.Load.TargetPerSecond:F0} transfers/s asked, {memory.Load.TransfersPerSecond:F0} committed, {memory.Load.Seconds / 60:F1} min, {memory.Load.Committed:N0} transfers); working set (VmRSS) and managed heap after the last collection, every {MemoryCurve.Interval.TotalSeconds:F0} s:"));
            text.AppendLine();
            text.AppendLine("| minute | working set MiB | managed heap MiB | transfers committed |");
            text.AppendLine("|---:|---:|---:|---:|");
            foreach (var sample in memory.Samples)
            {
                text.AppendLine(Format($"| {sample.Seconds / 60:F2} | {sample.WorkingSetMiB:F0} | {sample.HeapMiB:F1} | {sample.Committed:N0} |"));
            }

            text.AppendLine();
            text.AppendLine(Format($"Second half of the run: working set {memory.SecondHalfGrowthMiB:+0.0;-0.0} MiB ({memory.SecondHalfGrowthPercent:+0.0;-0.0} %)."));
            text.AppendLine();
        }

        if (Rebuilds.Count > 0)
        {
            text.AppendLine("Rebuilds through the API (`POST /api/v1/projections/{name}/rebuild`, followed to the end), over every event of the run:");
            text.AppendLine();
            text.AppendLine("| projection | state | events | seconds | events/s | events/s (API's figure) |");
            text.AppendLine("|---|---|---:|---:|---:|---:|");
            foreach (var run in Rebuilds)
            {
                text.AppendLine(Format($"| {run.Projection} | {run.State} | {run.Events:N0} | {run.Seconds:F1} | {run.EventsPerSecond:N0} | {run.ApiEventsPerSecond:N0} |"));
            }

            text.AppendLine();
        }

        foreach (var missing in Missing)
        {
            text.AppendLine($"Not measured: {missing}");
        }
    }

    private static string ClientsText(int clients) => clients == 1 ? "1 client" : Format($"{clients} clients");

    private static string Counts(IReadOnlyDictionary<string, long> counts) =>
        counts.Count == 0 ? "-" : string.Join(", ", counts.Select(pair => Format($"{pair.Key}: {pair.Value}")));

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
