using System.Diagnostics;
using System.Globalization;
using Ledger.Development.Postgres;
using Ledger.Domain.Accounts;
using Ledger.EventStore;
using Ledger.EventStore.Audit;
using Ledger.EventStore.Projections;
using Marten;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

// Usage: dotnet run -c Release --project bench/Ledger.Bench -- [longEvents] [reads]      as-of read cost
//        dotnet run -c Release --project bench/Ledger.Bench -- relay [events]             relay publish throughput
//        dotnet run -c Release --project bench/Ledger.Bench -- rebuild [accounts] [transfers]  seed, then rebuild by replay
//        dotnet run -c Release --project bench/Ledger.Bench -- audit [accounts] [appended] [transfers...]  trial balance, integrity
if (args is ["relay", ..])
{
    await RelayBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200_000);
    return;
}

if (args is ["audit", ..])
{
    await AuditBenchmark.RunAsync(args[1..]);
    return;
}

if (args is ["rebuild", ..])
{
    await RebuildBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10_000,
        args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 490_000);
    return;
}

// As-of reads must cost the same whatever an account's history: time them on a short and a long account.
var longEvents = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
var reads = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2_000;

var folder = Path.Combine(Path.GetTempPath(), $"ledger-bench-{Guid.NewGuid():N}");
using var postgres = EmbeddedPostgres.Start(new EmbeddedPostgresOptions { DataDirectory = folder, DeleteOnStop = true, Durable = false },
    NullLogger.Instance);
using var store = DocumentStore.For(options => LedgerStore.Configure(options, postgres.ConnectionString, ProjectionCatalog.Ledger));
await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
await using var dataSource = NpgsqlDataSource.Create(postgres.ConnectionString);
var audit = new AuditQueries(dataSource);

await using (var connection = await dataSource.OpenConnectionAsync())
{
    Console.WriteLine($"# As-of read cost, {Environment.ProcessorCount} cores, PostgreSQL {connection.PostgreSqlVersion}");
}

var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
var shortAccount = await SeedAsync(store, 100, start);
var stopwatch = Stopwatch.StartNew();
var longAccount = await SeedAsync(store, longEvents, start);
Console.WriteLine($"seeded {longEvents} events in {stopwatch.Elapsed.TotalSeconds:F1} s ({longEvents / stopwatch.Elapsed.TotalSeconds:F0} events/s through the inline projections)");

Console.WriteLine();
Console.WriteLine("| account events | reads | median µs | p95 µs | p99 µs | mean µs |");
Console.WriteLine("|---:|---:|---:|---:|---:|---:|");
foreach (var (account, events) in new[] { (shortAccount, 100), (longAccount, longEvents), (shortAccount, 100), (longAccount, longEvents) })
{
    await MeasureAsync(audit, account, events, start, reads);
}

static async Task<Guid> SeedAsync(IDocumentStore store, int events, DateTimeOffset start)
{
    var accountId = Guid.CreateVersion7();
    const int batch = 1_000;
    var open = AccountDecider.Decide(new OpenAccount(accountId, "Bench", "EUR", 0, start));
    var account = AccountDecider.Evolve(null, open);
    await using (var session = store.LightweightSession())
    {
        session.Events.StartStream<Account>(accountId, open);
        await session.SaveChangesAsync();
    }

    for (var done = 1; done < events; done += batch)
    {
        await using var session = store.LightweightSession();
        var stream = await session.Events.FetchForExclusiveWriting<Account>(accountId);
        for (var i = done; i < Math.Min(events, done + batch); i++)
        {
            // One event a second of business time, so as-of instants map to known versions.
            var deposit = AccountDecider.Decide(new Deposit(accountId, 100, null, start.AddSeconds(i)), account);
            account = AccountDecider.Evolve(account, deposit);
            stream.AppendOne(deposit);
        }

        await session.SaveChangesAsync();
    }

    return accountId;
}

static async Task MeasureAsync(AuditQueries audit, Guid accountId, int events, DateTimeOffset start, int reads)
{
    var random = new Random(42);
    var samples = new double[reads];
    for (var i = 0; i < reads; i++)
    {
        var second = random.Next(events);
        var stopwatch = Stopwatch.StartNew();
        var snapshot = await audit.AsOfAsync(accountId, start.AddSeconds(second).AddMilliseconds(500), CancellationToken.None);
        samples[i] = stopwatch.Elapsed.TotalMicroseconds;
        if (snapshot?.Version != second + 1)
        {
            throw new InvalidOperationException($"As-of read returned version {snapshot?.Version}, expected {second + 1}.");
        }
    }

    Array.Sort(samples);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {events} | {reads} | {samples[reads / 2]:F0} | {samples[reads * 95 / 100]:F0} | {samples[reads * 99 / 100]:F0} | {samples.Average():F0} |"));
}
