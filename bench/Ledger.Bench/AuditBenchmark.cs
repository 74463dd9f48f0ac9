using System.Data;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Ledger.Development.Postgres;
using Ledger.Domain.Accounts;
using Ledger.EventStore;
using Ledger.EventStore.Audit;
using Ledger.EventStore.Projections;
using Ledger.EventStore.Seeding;
using Marten;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

/// <summary>
/// Auditors' questions as history grows: for each history size, `ledger seed`'s bulk append into a fresh database, then the
/// trial balance (as the API computes it, and by the definition it replaced, summing every movement), a full integrity
/// check (which records the checkpoints), and an incremental one after appending new events through the store.
/// </summary>
internal static class AuditBenchmark
{
    /// <summary>Each read is timed this many times; the median is printed.</summary>
    private const int Repeats = 5;

    /// <summary>The trial balance before running totals: every entry up to the instant, read twice (kept to compare against).</summary>
    private const string ScanningTrialBalance =
        "select currency, count(*), sum(balance_after_minor) from (select distinct on (account_id) account_id, currency, balance_after_minor " +
        "from ledger.account_entries where occurred_at <= $1 order by account_id, version desc) last group by currency; " +
        "select currency, coalesce(sum(amount_minor) filter (where type = 'MoneyDeposited'), 0), " +
        "coalesce(-sum(amount_minor) filter (where type = 'MoneyWithdrawn'), 0), coalesce(max(sequence), 0) " +
        "from ledger.account_entries where occurred_at <= $1 group by currency";

    public static async Task RunAsync(string[] args)
    {
        var accounts = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
        var appended = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000;
        var transferSizes = args.Length > 2 ? args[2..].Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToArray() : [0, 490_000];
        Console.WriteLine($"# Auditors' questions as history grows, {Environment.ProcessorCount} cores, {accounts:N0} accounts, " +
                          $"{appended:N0} events appended before the incremental check");
        Console.WriteLine();
        Console.WriteLine("| events | trial balance, one entry per account (ms) | trial balance, every movement (ms) | trial balance mid-history (ms) | " +
                          "full integrity (s) | incremental, nothing new (ms) | incremental after appends (ms) | links verified |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var transfers in transferSizes)
        {
            await RunOneAsync(accounts, transfers, appended);
        }
    }

    private static async Task RunOneAsync(int accounts, int transfers, int appended)
    {
        await using var database = await BenchDatabase.StartAsync();
        var store = database.Store;
        var dataSource = database.DataSource;
        var seed = await new HistorySeeder(dataSource, store.Options.Serializer(), TimeProvider.System, ProjectionCatalog.Ledger)
            .WriteAsync(new HistoryOptions(accounts, transfers, Seed: 1), progress: null, CancellationToken.None);
        await ExecuteAsync(dataSource, "vacuum analyze");
        Console.Error.WriteLine($"seeded {seed.Accounts:N0} accounts, {seed.Events:N0} events in {seed.Elapsed.TotalSeconds:F1} s");

        var audit = new AuditQueries(dataSource);
        var now = DateTimeOffset.UtcNow;
        var midHistory = await MidHistoryAsync(dataSource);
        var trial = await MedianAsync(() => audit.TrialBalanceAsync(now, CancellationToken.None));
        var scanning = await MedianAsync(() => ScanAsync(dataSource, now));
        var trialMid = await MedianAsync(() => audit.TrialBalanceAsync(midHistory, CancellationToken.None));
        await CheckAgreesAsync(audit, dataSource, now);

        var verifier = new IntegrityVerifier(dataSource, new CheckpointSeal(RandomNumberGenerator.GetBytes(CheckpointSeal.KeyBytesMin)));
        var (full, fullResult) = await TimeAsync(() => verifier.VerifyLedgerAsync(IntegrityMode.Full, CancellationToken.None));
        var idle = await MedianAsync(() => verifier.VerifyLedgerAsync(IntegrityMode.Incremental, CancellationToken.None));
        await AppendDepositsAsync(store, dataSource, appended);
        var (incremental, incrementalResult) = await TimeAsync(() => verifier.VerifyLedgerAsync(IntegrityMode.Incremental, CancellationToken.None));
        if (!fullResult.Valid || !incrementalResult.Valid || incrementalResult.EventsVerified != appended)
        {
            throw new InvalidOperationException($"Integrity: full valid {fullResult.Valid}, incremental valid {incrementalResult.Valid}, " +
                                                $"{incrementalResult.EventsVerified} links verified instead of {appended}.");
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {seed.Events:N0} | {trial.TotalMilliseconds:F0} | {scanning.TotalMilliseconds:F0} | {trialMid.TotalMilliseconds:F0} | " +
            $"{full.TotalSeconds:F1} | {idle.TotalMilliseconds:F0} | {incremental.TotalMilliseconds:F0} | {incrementalResult.EventsVerified:N0} |"));
    }

    /// <summary>The instant halfway through the seeded history's business time.</summary>
    private static async Task<DateTimeOffset> MidHistoryAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand(
            "select min(occurred_at) + (max(occurred_at) - min(occurred_at)) / 2 from ledger.account_entries");
        return (await command.ExecuteScalarAsync() as DateTime? ?? throw new InvalidOperationException("No entries.")).ToUniversalTime();
    }

    /// <summary>The figures must be the old definition's before their time means anything.</summary>
    private static async Task CheckAgreesAsync(AuditQueries audit, NpgsqlDataSource dataSource, DateTimeOffset instant)
    {
        var trial = await audit.TrialBalanceAsync(instant, CancellationToken.None);
        var scanned = await ScanAsync(dataSource, instant);
        var computed = trial.Currencies.Select(c => string.Create(CultureInfo.InvariantCulture,
            $"{c.Currency} {c.Accounts} {c.TotalBalanceMinor} {c.TotalDepositedMinor} {c.TotalWithdrawnMinor}")).ToList();
        if (!computed.SequenceEqual(scanned))
        {
            throw new InvalidOperationException($"The trial balance differs from the sum over every movement:\n{string.Join("\n", computed)}\n---\n{string.Join("\n", scanned)}");
        }
    }

    private static async Task<List<string>> ScanAsync(NpgsqlDataSource dataSource, DateTimeOffset instant)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead);
        var balances = new Dictionary<string, (long Accounts, decimal Balance)>(StringComparer.Ordinal);
        var rows = new List<string>();
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var sql in ScanningTrialBalance.Split("; "))
        {
            var command = new NpgsqlBatchCommand(sql);
            command.Parameters.Add(new NpgsqlParameter { Value = instant });
            batch.BatchCommands.Add(command);
        }

        await using (var reader = await batch.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                balances[reader.GetString(0)] = (reader.GetInt64(1), reader.GetDecimal(2));
            }

            await reader.NextResultAsync();
            while (await reader.ReadAsync())
            {
                var (count, balance) = balances[reader.GetString(0)];
                rows.Add(string.Create(CultureInfo.InvariantCulture, $"{reader.GetString(0)} {count} {balance} {reader.GetDecimal(1)} {reader.GetDecimal(2)}"));
            }
        }

        await transaction.CommitAsync();
        rows.Sort(StringComparer.Ordinal);
        return rows;
    }

    /// <summary>Deposits on distinct accounts, 100 to a transaction, through the store and its inline projections as the API appends.</summary>
    private static async Task AppendDepositsAsync(DocumentStore store, NpgsqlDataSource dataSource, int count)
    {
        var accountIds = new List<Guid>();
        await using (var command = dataSource.CreateCommand($"select account_id from ledger.account_entries where version = 1 order by account_id limit {count}"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                accountIds.Add(reader.GetGuid(0));
            }
        }

        for (var i = 0; i < count; i += 100)
        {
            await using var session = store.LightweightSession();
            new Actor("bench", "teller").StampOn(session);
            for (var j = i; j < Math.Min(count, i + 100); j++)
            {
                var accountId = accountIds[j % accountIds.Count];
                var stream = await session.Events.FetchForExclusiveWriting<Account>(accountId);
                stream.AppendOne(AccountDecider.Decide(new Deposit(accountId, 100, "bench", DateTimeOffset.UtcNow), stream.Aggregate!));
            }

            await session.SaveChangesAsync();
        }
    }

    private static async Task<TimeSpan> MedianAsync<T>(Func<Task<T>> read)
    {
        var samples = new List<TimeSpan>();
        for (var i = 0; i < Repeats; i++)
        {
            samples.Add((await TimeAsync(read)).Elapsed);
        }

        samples.Sort();
        return samples[Repeats / 2];
    }

    private static async Task<(TimeSpan Elapsed, T Result)> TimeAsync<T>(Func<Task<T>> run)
    {
        var stopwatch = Stopwatch.StartNew();
        var result = await run();
        return (stopwatch.Elapsed, result);
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.CommandTimeout = 0;
        await command.ExecuteNonQueryAsync();
    }
}
