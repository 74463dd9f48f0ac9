using System.Diagnostics;
using Ledger.Development.Postgres;
using Ledger.EventStore;
using Ledger.EventStore.Projections;
using Ledger.EventStore.Seeding;
using Marten;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

/// <summary>
/// Rebuild throughput on a seeded history: `ledger seed`'s bulk append, then a rebuild of every projection by replay
/// (into a shadow table, switched in), then one verification, each timed.
/// </summary>
internal static class RebuildBenchmark
{
    public static async Task RunAsync(int accounts, int transfers)
    {
        await using var database = await BenchDatabase.StartAsync(durable: true);
        var store = database.Store;
        var dataSource = database.DataSource;
        var serializer = store.Options.Serializer();
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            Console.WriteLine($"# Rebuild throughput, {Environment.ProcessorCount} cores, PostgreSQL {connection.PostgreSqlVersion}");
        }

        var seed = await new HistorySeeder(dataSource, serializer, TimeProvider.System, ProjectionCatalog.Ledger)
            .WriteAsync(new HistoryOptions(accounts, transfers, Seed: 1), progress: null, CancellationToken.None);
        Console.WriteLine($"seeded {seed.Accounts:N0} accounts, {seed.Events:N0} events ({seed.Transfers:N0} transfers, " +
                          $"{seed.Rejected:N0} commands refused) in {seed.Elapsed.TotalSeconds:F1} s ({seed.EventsPerSecond:N0} events/s)");
        Console.WriteLine();
        Console.WriteLine("| projection | run | events | rows | seconds | events/s |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|");

        var rebuilder = new ProjectionRebuilder(dataSource, serializer, TimeProvider.System);
        foreach (var (projection, kind) in ProjectionCatalog.Ledger.All.Select(p => (p, RebuildKind.Rebuild))
                     .Append((ProjectionCatalog.Ledger.Find("account-entries")!, RebuildKind.Verify)))
        {
            var stopwatch = Stopwatch.StartNew();
            var outcome = await rebuilder.RunAsync(Guid.NewGuid(), projection, kind, "bench", progress: null, CancellationToken.None);
            stopwatch.Stop();
            if (!outcome.Identical)
            {
                throw new InvalidOperationException($"{projection.Name} differs from its replay in {outcome.Differences} rows.");
            }

            await using var count = dataSource.CreateCommand($"select count(*) from {LedgerStore.Schema}.{projection.Table}");
            var rows = (long)(await count.ExecuteScalarAsync())!;
            Console.WriteLine($"| {projection.Name} | {kind.ToString().ToLowerInvariant()} | {outcome.Events:N0} | {rows:N0} | " +
                              $"{stopwatch.Elapsed.TotalSeconds:F1} | {outcome.Events / stopwatch.Elapsed.TotalSeconds:N0} |");
        }
    }
}
