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

/// <summary>
/// As-of reads must cost the same whatever an account's history: time them on a short and a long account, through
/// <see cref="AuditQueries"/> directly (no HTTP).
/// </summary>
internal static class AsOfBenchmark
{
    public static async Task RunAsync(int longEvents, int reads)
    {
        await using var database = await BenchDatabase.StartAsync();
        var store = database.Store;
        var dataSource = database.DataSource;
        var audit = new AuditQueries(dataSource);

        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            Console.WriteLine($"# As-of read cost, {Environment.ProcessorCount} cores, PostgreSQL {connection.PostgreSqlVersion}");
        }

        var shortAccount = await LongHistory.SeedAsync(store, 100);
        var stopwatch = Stopwatch.StartNew();
        var longAccount = await LongHistory.SeedAsync(store, longEvents);
        Console.WriteLine($"seeded {longEvents} events in {stopwatch.Elapsed.TotalSeconds:F1} s ({longEvents / stopwatch.Elapsed.TotalSeconds:F0} events/s through the inline projections)");

        Console.WriteLine();
        Console.WriteLine("| account events | reads | median µs | p95 µs | p99 µs | mean µs |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|");
        foreach (var (account, events) in new[] { (shortAccount, 100), (longAccount, longEvents), (shortAccount, 100), (longAccount, longEvents) })
        {
            await MeasureAsync(audit, account, events, reads);
        }
    }

    private static async Task MeasureAsync(AuditQueries audit, Guid accountId, int events, int reads)
    {
        var random = new Random(42);
        var samples = new double[reads];
        for (var i = 0; i < reads; i++)
        {
            var second = random.Next(events);
            var stopwatch = Stopwatch.StartNew();
            var snapshot = await audit.AsOfAsync(accountId, LongHistory.InstantAfter(second), CancellationToken.None);
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
}

/// <summary>
/// One account with a long history, appended through Marten and the inline projections, 1,000 events a transaction:
/// opened at <see cref="Start"/>, then one deposit a second of business time, so an as-of instant maps to a known version.
/// </summary>
internal static class LongHistory
{
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private const int EventsPerTransaction = 1_000;

    /// <summary>Half a second after event <paramref name="second"/> (0-based): the account is then at version <paramref name="second"/> + 1.</summary>
    public static DateTimeOffset InstantAfter(int second) => Start.AddSeconds(second).AddMilliseconds(500);

    public static async Task<Guid> SeedAsync(IDocumentStore store, int events)
    {
        var accountId = Guid.CreateVersion7();
        var open = AccountDecider.Decide(new OpenAccount(accountId, "Bench", "EUR", 0, Start));
        var account = AccountDecider.Evolve(null, open);
        await using (var session = store.LightweightSession())
        {
            session.Events.StartStream<Account>(accountId, open);
            await session.SaveChangesAsync();
        }

        for (var done = 1; done < events; done += EventsPerTransaction)
        {
            await using var session = store.LightweightSession();
            var stream = await session.Events.FetchForExclusiveWriting<Account>(accountId);
            for (var i = done; i < Math.Min(events, done + EventsPerTransaction); i++)
            {
                var deposit = AccountDecider.Decide(new Deposit(accountId, 100, null, Start.AddSeconds(i)), account);
                account = AccountDecider.Evolve(account, deposit);
                stream.AppendOne(deposit);
            }

            await session.SaveChangesAsync();
        }

        return accountId;
    }
}
