extern alias LedgerApi;

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ledger.Contracts;
using Ledger.Development.Postgres;
using Ledger.Messaging;
using Ledger.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Ledger.Bench.Compare;

/// <summary>
/// One run, one machine, one durable PostgreSQL: pgbench at each client count in its own database, then the API (a child
/// process, Release) in another, driven over HTTP; then as-of reads, relay lag and rebuilds. Progress goes to standard
/// error, the report to standard output.
/// </summary>
internal static class CompareBenchmark
{
    private const string LedgerDatabase = "ledger";
    private const string PgBenchDatabase = "pgbench";
    private const int Seed = 7;
    private static readonly TimeSpan WarmUpMax = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan IdleSample = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RelayCatchUpLimit = TimeSpan.FromMinutes(5);
    private const int PacedSendersMax = 64;
    private const string HostPathVariable = "DOTNET_HOST_PATH";
    private static readonly TimeSpan TokenLifetime = TimeSpan.FromHours(12);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerOptions.Web)
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static async Task<int> RunAsync(CompareSettings settings, CancellationToken cancellation)
    {
        var apiConfiguration = typeof(LedgerApi::Program).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "unknown";
        if (apiConfiguration != "Release")
        {
            await Console.Error.WriteLineAsync($"The API beside the bench is a {apiConfiguration} build; run the bench with -c Release.");
            return 2;
        }

        UseThisHostForChildren();
        var loadAtStart = MachineInfo.LoadAverage();
        var folder = Path.Combine(Path.GetTempPath(), $"ledger-bench-{Guid.NewGuid():N}");
        var logFolder = Path.Combine(Path.GetTempPath(), $"ledger-bench-pgbench-{Guid.NewGuid():N}");
        var started = DateTimeOffset.UtcNow;
        Progress($"starting a durable embedded PostgreSQL and an embedded Kafka");
        using var postgres = EmbeddedPostgres.Start(
            new EmbeddedPostgresOptions { DataDirectory = folder, DeleteOnStop = true, Durable = true, Database = LedgerDatabase }, NullLogger.Instance);
        using var kafka = LedgerKafka.Start(partitions: new KafkaOptions().Partitions);
        try
        {
            var pgbench = new PgBench(postgres.BinDirectory,
                new NpgsqlConnectionStringBuilder(postgres.AdminConnectionString) { Database = PgBenchDatabase }, logFolder);
            var versions = new SoftwareVersions(await ScalarAsync(postgres.AdminConnectionString, "show server_version", cancellation),
                await pgbench.VersionAsync(cancellation), Confluent.Kafka.Library.VersionString, apiConfiguration,
                Environment.GetEnvironmentVariable(HostPathVariable) ?? "dotnet");
            var (scale, initialised, pgbenchRuns) = await RunPgBenchAsync(pgbench, postgres, settings, cancellation);
            var ledger = await RunLedgerAsync(postgres, kafka.BootstrapServers, settings, cancellation);
            var results = new CompareResults(started, settings.CommandLine, MachineInfo.Read(loadAtStart), versions, Durable: true,
                settings.Duration.TotalSeconds, settings.Clients, settings.Accounts, CompareSettings.HotAccounts, CompareSettings.HotShare, scale,
                initialised.TotalSeconds, pgbenchRuns, ledger.Setup, ledger.WarmUp, ledger.Transfers, ledger.RelayLag, ledger.Memory, ledger.AsOf, ledger.Rebuilds,
                Ratios.Of(pgbenchRuns, ledger.Transfers, ledger.AsOf), ledger.Missing, ledger.IdleCpu);
            Console.WriteLine(results.ToMarkdown());
            if (settings.OutPath is { } path)
            {
                await File.WriteAllTextAsync(path, JsonSerializer.Serialize(results, Json), cancellation);
                Progress($"results written to {Path.GetFullPath(path)}");
            }

            return 0;
        }
        finally
        {
            if (Directory.Exists(logFolder))
            {
                Directory.Delete(logFolder, recursive: true);
            }
        }
    }

    private static async Task<(int Scale, TimeSpan Initialised, IReadOnlyList<PgBenchRun> Runs)> RunPgBenchAsync(PgBench pgbench,
        EmbeddedPostgres postgres, CompareSettings settings, CancellationToken cancellation)
    {
        var adminConnectionString = postgres.AdminConnectionString;
        var scale = settings.Clients.Max();
        await ExecuteAsync(adminConnectionString, $"create database {PgBenchDatabase}", cancellation);
        Progress($"pgbench -i -s {scale}");
        var initialised = await pgbench.InitialiseAsync(scale, cancellation);
        var runs = new List<PgBenchRun>();
        foreach (var clients in settings.Clients)
        {
            await ExecuteAsync(adminConnectionString, "checkpoint", cancellation);
            Progress($"pgbench -M prepared -c {clients} -j {Math.Min(clients, 2)} -T {settings.Duration.TotalSeconds:F0}");
            var before = CpuSnapshot.Take(apiProcessId: null, postgres.DataDirectory);
            var run = await pgbench.RunAsync(clients, settings.Duration, cancellation);
            run = run with { Cpu = CpuSnapshot.Take(apiProcessId: null, postgres.DataDirectory).PerTransactionSince(before, run.Transactions) };
            Progress($"  {run.Tps:F0} TPS, average {run.LatencyAverageMs:F2} ms, p99 {run.Latency.P99Ms:F2} ms");
            runs.Add(run);
        }

        // The ledger's runs should not share the server's cache with pgbench's tables.
        await ExecuteAsync(adminConnectionString, $"drop database {PgBenchDatabase} with (force)", cancellation);
        return (scale, initialised, runs);
    }

    private sealed record LedgerResults(SetupResult Setup, TransferRun WarmUp, IReadOnlyList<TransferRun> Transfers, RelayLagResult? RelayLag,
        MemoryCurve? Memory, IReadOnlyList<AsOfRun> AsOf, IReadOnlyList<RebuildRun> Rebuilds, IReadOnlyList<string> Missing, CpuPerTransaction IdleCpu);

    private static async Task<LedgerResults> RunLedgerAsync(EmbeddedPostgres postgres, string bootstrapServers, CompareSettings settings,
        CancellationToken cancellation)
    {
        Progress($"starting the API (Release) on the same server, relay to the embedded Kafka");
        var (process, address) = await ApiProcess.StartAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings__Ledger"] = postgres.ConnectionString,
            ["Ledger__ApplySchemaOnStart"] = "true",
            ["Kafka__BootstrapServers"] = bootstrapServers,
            ["Kafka__ConsumersEnabled"] = "false",
        });
        await using var api = process;
        using var client = new LedgerClient(address);
        var (teller, auditor, admin) = (Bearer(Roles.Teller), Bearer(Roles.Auditor), Bearer(Roles.Admin));

        Progress($"opening and funding {settings.Accounts:N0} accounts over HTTP");
        var (accounts, setup) = await AccountSetup.OpenAsync(client, settings.Accounts, teller, cancellation);
        Progress($"  {setup.Seconds:F1} s ({setup.AccountsPerSecond:F0} accounts/s)");
        var load = new TransferLoad(client, accounts, teller);

        await PrepareAsync(client, admin, postgres, cancellation);
        var warmUp = await load.RunClosedLoopAsync(Distribution.Uniform, Math.Min(8, settings.Clients.Max()),
            settings.Duration < WarmUpMax ? settings.Duration : WarmUpMax, Seed, cancellation);
        Progress($"warm-up: {warmUp.TransfersPerSecond:F0} transfers/s");
        var transfers = new List<TransferRun>();
        foreach (var clients in settings.Clients)
        {
            foreach (var distribution in (Distribution[])[Distribution.Uniform, Distribution.Hot])
            {
                await PrepareAsync(client, admin, postgres, cancellation);
                var before = CpuSnapshot.Take(process.Id, postgres.DataDirectory);
                var run = await load.RunClosedLoopAsync(distribution, clients, settings.Duration, Seed + transfers.Count + 1, cancellation);
                run = run with { Cpu = CpuSnapshot.Take(process.Id, postgres.DataDirectory).PerTransactionSince(before, run.Committed) };
                Progress($"{clients} clients, {run.Distribution}: {run.TransfersPerSecond:F0} transfers/s, p50 {run.Latency.P50Ms:F1} ms, p99 {run.Latency.P99Ms:F1} ms, {run.Refused + run.GaveUp} errors, {run.RetriedTransfers} retried");
                transfers.Add(run);
            }
        }

        // What the processes spend with no load at all once warm (the relay's and the projections' polling, timers): per second.
        await PrepareAsync(client, admin, postgres, cancellation);
        var idleBefore = CpuSnapshot.Take(process.Id, postgres.DataDirectory);
        await Task.Delay(IdleSample, cancellation);
        var idle = CpuSnapshot.Take(process.Id, postgres.DataDirectory).PerTransactionSince(idleBefore, (long)IdleSample.TotalSeconds);
        Progress($"idle: API {idle.ApiMs:F1} ms, PostgreSQL {idle.PostgresMs:F1} ms, bench {idle.BenchMs:F1} ms of CPU a second");
        var missing = new List<string>();
        var relayLag = await Optional(missing, "relay lag", () => MeasureRelayLagAsync(client, admin, postgres, bootstrapServers, load, transfers,
            settings.Duration, cancellation), cancellation);
        var memory = settings.Memory <= TimeSpan.Zero ? null : await Optional(missing, "memory", () => MeasureMemoryAsync(client, admin, postgres,
            process.Id, load, transfers, settings.Memory, cancellation), cancellation);
        var asOf = await Optional(missing, "as-of reads", () => MeasureAsOfAsync(client, auditor, admin, postgres, settings.AsOfReads, cancellation),
            cancellation);
        var rebuilds = await Optional(missing, "rebuilds", async () =>
        {
            await PrepareAsync(client, admin, postgres, cancellation);
            Progress($"rebuilding every projection through the API");
            return await Rebuilds.RunAsync(client, admin, cancellation);
        }, cancellation);
        return new LedgerResults(setup, warmUp, transfers, relayLag, memory, asOf ?? [], rebuilds ?? [], missing, idle);
    }

    private static async Task<RelayLagResult> MeasureRelayLagAsync(LedgerClient client, string admin, EmbeddedPostgres postgres,
        string bootstrapServers, TransferLoad load, IReadOnlyList<TransferRun> transfers, TimeSpan duration, CancellationToken cancellation)
    {
        var peak = transfers.Where(run => run.Distribution == "uniform").MaxBy(run => run.TransfersPerSecond)
                   ?? throw new InvalidOperationException("No uniform run to take the peak rate from.");
        await PrepareAsync(client, admin, postgres, cancellation);
        Progress($"relay lag at {peak.TransfersPerSecond / 2:F0} transfers/s (half the peak)");
        using var probe = RelayLagProbe.Start(bootstrapServers);
        // More senders than the peak run had, so that the pace holds while some transfers wait on a lock or a retry.
        var paced = await load.RunPacedAsync(peak.TransfersPerSecond / 2, Math.Clamp(2 * peak.Clients, 8, PacedSendersMax), duration, Seed + 100,
            cancellation);
        var caughtUp = await WaitForRelayAsync(client, admin, cancellation);
        // A transfer is one event in each account's stream, and each is one message.
        var (produced, arrived) = await probe.StopAsync(paced.Committed * 2, TimeSpan.FromSeconds(60));
        var result = new RelayLagResult(paced, probe.Messages, LatencySummary.FromMilliseconds(produced), LatencySummary.FromMilliseconds(arrived),
            caughtUp);
        Progress($"  {paced.TransfersPerSecond:F0} transfers/s committed; arrival after decision p50 {result.ArrivedAfterDecision.P50Ms:F1} ms, p99 {result.ArrivedAfterDecision.P99Ms:F1} ms");
        return result;
    }

    private static async Task<MemoryCurve> MeasureMemoryAsync(LedgerClient client, string admin, EmbeddedPostgres postgres, int processId,
        TransferLoad load, IReadOnlyList<TransferRun> transfers, TimeSpan duration, CancellationToken cancellation)
    {
        var peak = transfers.Where(run => run.Distribution == "uniform").MaxBy(run => run.TransfersPerSecond)
                   ?? throw new InvalidOperationException("No uniform run to take the peak rate from.");
        await PrepareAsync(client, admin, postgres, cancellation);
        Progress($"memory: {duration.TotalMinutes:F0} min at {peak.TransfersPerSecond / 2:F0} transfers/s (half the peak), sampled every {MemoryCurve.Interval.TotalSeconds:F0} s");
        var curve = await MemoryCurve.MeasureAsync(client, admin, processId, load, peak.TransfersPerSecond / 2,
            Math.Clamp(2 * peak.Clients, 8, PacedSendersMax), duration, Seed + 200, cancellation);
        Progress($"  working set {curve.Samples[0].WorkingSetMiB:F0} MiB at the start, {curve.Samples[^1].WorkingSetMiB:F0} MiB at the end; second half {curve.SecondHalfGrowthMiB:+0;-0} MiB");
        return curve;
    }

    private static async Task<IReadOnlyList<AsOfRun>> MeasureAsOfAsync(LedgerClient client, string auditor, string admin, EmbeddedPostgres postgres,
        int reads, CancellationToken cancellation)
    {
        Progress($"seeding accounts with {string.Join(", ", CompareSettings.AsOfHistories.Select(events => events.ToString("N0", CultureInfo.InvariantCulture)))} events through Marten");
        var seeded = await AsOfReads.SeedAsync(postgres.ConnectionString, CompareSettings.AsOfHistories);
        var runs = new List<AsOfRun>();
        foreach (var account in seeded)
        {
            await PrepareAsync(client, admin, postgres, cancellation);
            var run = await AsOfReads.MeasureAsync(client, auditor, account, reads, cancellation);
            Progress($"  as-of on {account.Events:N0} events: p50 {run.Latency.P50Ms:F2} ms, p99 {run.Latency.P99Ms:F2} ms");
            runs.Add(run);
        }

        return runs;
    }

    /// <summary>Before each measured run: the relay has published everything (its work would land in the run), and a checkpoint.</summary>
    private static async Task PrepareAsync(LedgerClient client, string admin, EmbeddedPostgres postgres, CancellationToken cancellation)
    {
        await WaitForRelayAsync(client, admin, cancellation);
        await ExecuteAsync(postgres.AdminConnectionString, "checkpoint", cancellation);
    }

    /// <summary>Polls <c>GET /api/v1/relay</c> until its lag is 0; returns the seconds that took.</summary>
    private static async Task<double> WaitForRelayAsync(LedgerClient client, string admin, CancellationToken cancellation)
    {
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            var (status, body) = await client.SendAsync(HttpMethod.Get, "/api/v1/relay", admin, null, cancellation);
            if (status == HttpStatusCode.OK && body?.GetProperty("lag").GetInt64() == 0)
            {
                return stopwatch.Elapsed.TotalSeconds;
            }

            if (stopwatch.Elapsed > RelayCatchUpLimit)
            {
                throw new TimeoutException($"The relay did not catch up within {RelayCatchUpLimit}: {(int)status} {body}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellation);
        }
    }

    /// <summary>The side measurements: one that fails is reported as missing, and the comparison is still printed.</summary>
    private static async Task<T?> Optional<T>(List<string> missing, string what, Func<Task<T>> measure, CancellationToken cancellation)
        where T : class
    {
        try
        {
            return await measure();
        }
        catch (Exception failure) when (failure is not OperationCanceledException || !cancellation.IsCancellationRequested)
        {
            missing.Add($"{what}: {failure.GetType().Name}: {failure.Message}");
            Progress($"{what} failed: {failure.Message}");
            return null;
        }
    }

    /// <summary>
    /// <see cref="ChildProcess"/> runs a program with the host named by DOTNET_HOST_PATH (which the SDK sets for what it
    /// starts), else with `dotnet` from PATH; naming the host whose runtime runs the bench makes the API run on the same one.
    /// </summary>
    private static void UseThisHostForChildren()
    {
        // The runtime's folder is <dotnet root>/shared/Microsoft.NETCore.App/<version>/.
        var runtime = Path.GetDirectoryName(typeof(object).Assembly.Location) ?? "";
        var host = Path.GetFullPath(Path.Combine(runtime, "..", "..", "..", OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet"));
        if (Environment.GetEnvironmentVariable(HostPathVariable) is null && File.Exists(host))
        {
            Environment.SetEnvironmentVariable(HostPathVariable, host);
        }
    }

    private static string Bearer(string role) => "Bearer " + TestTokens.For(role, $"bench-{role}", TokenLifetime);

    private static async Task ExecuteAsync(string connectionString, string sql, CancellationToken cancellation)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(cancellation);
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellation);
    }

    private static async Task<string> ScalarAsync(string connectionString, string sql, CancellationToken cancellation)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(cancellation);
        await using var command = new NpgsqlCommand(sql, connection);
        return (await command.ExecuteScalarAsync(cancellation))?.ToString() ?? "";
    }

    private static void Progress(FormattableString message) =>
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{DateTime.UtcNow:HH:mm:ss}] ") + message.ToString(CultureInfo.InvariantCulture));
}
