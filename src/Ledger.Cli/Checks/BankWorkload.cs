using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Ledger.Domain.Money;

namespace Ledger.Cli.Checks;

internal sealed record BankSettings(TimeSpan Duration, int Clients, int Accounts, int Seed, Currency Currency, int Readers);

/// <summary>What the workload saw, for the checker, plus the counts the verdict reports.</summary>
internal sealed record BankRun(string RunId, BankObservation Observation, long TrialBalanceReads, long AsOfReads, long FailedReads,
    IReadOnlyDictionary<string, int> FailedReadAnswers);

/// <summary>
/// Jepsen's bank workload against the HTTP API: opens and funds fresh accounts in one currency, runs concurrent clients
/// doing random transfers, deposits, withdrawals and holds (placed, then captured in part or in full, out of the ledger or
/// to another account, or released) while readers take trial-balance and as-of reads, then reads the final balances and
/// availability, every history and the integrity answers. It records; <see cref="BankChecker"/> decides.
/// </summary>
internal sealed class BankWorkload(BankHttp api, BankSettings settings)
{
    /// <summary>How long a command still being retried when the duration ends may take to get a definite answer.</summary>
    public static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(10);

    /// <summary>How long the set-up and the final reads may retry before the run is abandoned as an error.</summary>
    public static readonly TimeSpan RequiredReadLimit = TimeSpan.FromSeconds(60);

    private const int FundingMajor = 1_000;
    private const int AmountMaxMajor = 300;
    private const int HistoryPageLimit = 1_000;
    private static readonly int[] OverdraftLimitsMajor = [0, 0, 100, 500];
    private static readonly TimeSpan ReadPause = TimeSpan.FromMilliseconds(50);

    private readonly string _runId = Guid.NewGuid().ToString("N")[..12];
    private readonly ConcurrentQueue<string> _answerProblems = new();
    private readonly ConcurrentDictionary<string, int> _failedReadAnswers = new(StringComparer.Ordinal);
    private long _trialBalanceReads;
    private long _asOfReads;
    private long _failedReads;

    public async Task<BankRun> RunAsync(CancellationToken cancellation)
    {
        var random = new Random(settings.Seed);
        var baseline = await CurrencyTotalAsync(Deadline(RequiredReadLimit), random, cancellation);
        var accounts = await OpenAsync(random, cancellation);
        var funding = await FundAsync(accounts, random, cancellation);

        var end = Deadline(settings.Duration);
        var workers = Enumerable.Range(0, settings.Clients).Select(client => Task.Run(() => WorkAsync(client, accounts, end, cancellation), cancellation)).ToList();
        var readers = Enumerable.Range(0, settings.Readers).Select(reader => Task.Run(() => ReadAsync(reader, accounts, baseline, end, cancellation), cancellation)).ToList();
        var operations = (await Task.WhenAll(workers)).SelectMany(list => list).ToList();
        var reads = (await Task.WhenAll(readers)).ToList();

        var finalRandom = new Random(settings.Seed + 1);
        var (finals, finalTotal) = await FinalBalancesAsync(accounts, finalRandom, cancellation);
        var trialStarted = Stopwatch.GetTimestamp();
        var trialTotal = await CurrencyTotalAsync(Deadline(RequiredReadLimit), finalRandom, cancellation);
        var histories = new Dictionary<Guid, IReadOnlyList<HistoryEntry>>();
        foreach (var account in accounts)
        {
            histories[account.AccountId] = await HistoryAsync(account.AccountId, finalRandom, cancellation);
        }

        var observation = new BankObservation(
            accounts,
            [.. funding, .. operations],
            [.. reads.SelectMany(read => read.Totals), finalTotal,
             new TotalRead("final trial balance", trialStarted, Stopwatch.GetTimestamp(), trialTotal.TotalMinor - baseline.TotalMinor, trialTotal.Balanced)],
            [.. reads.SelectMany(read => read.Balances), .. finals],
            histories,
            await IntegrityAsync(accounts, finalRandom, cancellation),
            [.. _answerProblems]);
        return new BankRun(_runId, observation, _trialBalanceReads, _asOfReads, _failedReads, _failedReadAnswers);
    }

    private static long Deadline(TimeSpan after) => Stopwatch.GetTimestamp() + (long)(after.TotalSeconds * Stopwatch.Frequency);

    private long Minor(decimal major) => MinorUnits.TryFromMajor(major, settings.Currency, out var minor)
        ? minor
        : throw new BankCheckException($"{major} is not an amount in {settings.Currency}");

    private long Minor(JsonElement body, string property) => Minor(body.GetProperty(property).GetDecimal());

    private string Major(long minor) => MinorUnits.Format(minor, settings.Currency);

    private async Task<IReadOnlyList<BankAccount>> OpenAsync(Random random, CancellationToken cancellation)
    {
        var accounts = new List<BankAccount>();
        var deadline = Deadline(RequiredReadLimit);
        for (var index = 0; index < settings.Accounts; index++)
        {
            var account = new BankAccount(Guid.NewGuid(), OverdraftLimitsMajor[index % OverdraftLimitsMajor.Length] * settings.Currency.MinorPerMajor);
            var answer = await api.SendAsync(() => api.Request(HttpMethod.Post, "api/v1/accounts", new
            {
                accountId = account.AccountId,
                owner = $"bank check {_runId} #{index}",
                currency = settings.Currency.Code,
                overdraftLimit = Major(account.OverdraftLimitMinor),
            }), deadline, random, cancellation);
            if (answer.Kind != AnswerKind.Success)
            {
                throw new BankCheckException($"opening account #{index} answered {BankHttp.Describe(answer)}");
            }

            accounts.Add(account);
        }

        return accounts;
    }

    private async Task<IReadOnlyList<BankOperation>> FundAsync(IReadOnlyList<BankAccount> accounts, Random random, CancellationToken cancellation)
    {
        var funding = new List<BankOperation>();
        var deadline = Deadline(RequiredReadLimit);
        foreach (var account in accounts)
        {
            var operation = new BankOperation($"fund.{funding.Count}", OperationKind.Deposit, account.AccountId, null, null,
                FundingMajor * settings.Currency.MinorPerMajor, "", 0, null, OperationOutcome.Indeterminate, 0, Setup: true);
            var done = await ExecuteAsync(operation, deadline, random, cancellation);
            if (done.Outcome != OperationOutcome.Acknowledged)
            {
                throw new BankCheckException($"funding {account.AccountId} was {done.Outcome.ToString().ToLowerInvariant()}");
            }

            funding.Add(done);
        }

        return funding;
    }

    /// <summary>One client: random commands, one at a time, until the duration ends; the last one may drain a little longer.</summary>
    private async Task<List<BankOperation>> WorkAsync(int client, IReadOnlyList<BankAccount> accounts, long end, CancellationToken cancellation)
    {
        var random = new Random(unchecked((settings.Seed * 1_000) + client));
        var operations = new List<BankOperation>();
        var drained = end + (long)(DrainLimit.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < end)
        {
            var roll = random.Next(100);
            var kind = roll < 40 ? OperationKind.Transfer : roll < 60 ? OperationKind.Deposit : roll < 80 ? OperationKind.Withdrawal : OperationKind.HoldPlacement;
            var fromIndex = random.Next(accounts.Count);
            var from = accounts[fromIndex];
            var to = accounts[(fromIndex + 1 + random.Next(accounts.Count - 1)) % accounts.Count];
            var amountMinor = random.NextInt64(1, AmountMaxMajor * settings.Currency.MinorPerMajor + 1);
            var operation = new BankOperation($"{client}.{operations.Count}", kind, from.AccountId,
                kind == OperationKind.Transfer ? to.AccountId : null, kind == OperationKind.Transfer ? Guid.NewGuid() : null,
                amountMinor, "", 0, null, OperationOutcome.Indeterminate, 0, HoldId: kind == OperationKind.HoldPlacement ? Guid.NewGuid() : null);
            var done = await ExecuteAsync(operation, drained, random, cancellation);
            operations.Add(done);
            if (done is { Kind: OperationKind.HoldPlacement, Outcome: OperationOutcome.Acknowledged })
            {
                // The hold stays open while the client settles it, so other clients' debits of the account race it.
                operations.Add(await ExecuteAsync(Settlement(done, to, random, $"{client}.{operations.Count}"), drained, random, cancellation));
            }
        }

        return operations;
    }

    /// <summary>The second phase of a hold placed: released, captured out of the ledger (in part or in full), or captured to another account.</summary>
    private static BankOperation Settlement(BankOperation placed, BankAccount to, Random random, string operationId) => random.Next(3) switch
    {
        0 => placed with { OperationId = operationId, Kind = OperationKind.HoldRelease, Outcome = OperationOutcome.Indeterminate },
        1 => placed with
        {
            OperationId = operationId, Kind = OperationKind.HoldCapture, Outcome = OperationOutcome.Indeterminate,
            AmountMinor = random.Next(2) == 0 ? placed.AmountMinor : random.NextInt64(1, placed.AmountMinor + 1),
        },
        _ => placed with
        {
            OperationId = operationId, Kind = OperationKind.HoldCapture, Outcome = OperationOutcome.Indeterminate, ToAccountId = to.AccountId,
            AmountMinor = random.NextInt64(1, placed.AmountMinor + 1),
        },
    };

    private async Task<BankOperation> ExecuteAsync(BankOperation operation, long deadline, Random random, CancellationToken cancellation)
    {
        var reference = $"bank-check {_runId} {operation.OperationId}";
        var idempotencyKey = $"bank-check-{_runId}-{operation.OperationId}";
        var amount = Major(operation.AmountMinor);
        Func<HttpRequestMessage> request = operation.Kind switch
        {
            OperationKind.Transfer => () => api.Request(HttpMethod.Post, "api/v1/transfers", new
            {
                transferId = operation.TransferId, fromAccountId = operation.AccountId, toAccountId = operation.ToAccountId, amount, reference,
            }),
            OperationKind.Deposit => () => api.Request(HttpMethod.Post, $"api/v1/accounts/{operation.AccountId}/deposits", new { amount, reference }, idempotencyKey),
            OperationKind.HoldPlacement => () => api.Request(HttpMethod.Post, $"api/v1/accounts/{operation.AccountId}/holds",
                new { holdId = operation.HoldId, amount, reference }),
            OperationKind.HoldCapture => () => api.Request(HttpMethod.Post, $"api/v1/accounts/{operation.AccountId}/holds/{operation.HoldId}/capture",
                new { amount, toAccountId = operation.ToAccountId, reference }, idempotencyKey),
            OperationKind.HoldRelease => () => api.Request(HttpMethod.Post, $"api/v1/accounts/{operation.AccountId}/holds/{operation.HoldId}/release",
                new { }, idempotencyKey),
            _ => () => api.Request(HttpMethod.Post, $"api/v1/accounts/{operation.AccountId}/withdrawals", new { amount, reference }, idempotencyKey),
        };
        var invokedAt = Stopwatch.GetTimestamp();
        var answer = await api.SendAsync(request, deadline, random, cancellation);
        var outcome = answer.Kind switch
        {
            AnswerKind.Success => OperationOutcome.Acknowledged,
            AnswerKind.Refused => OperationOutcome.Rejected,
            _ => OperationOutcome.Indeterminate,
        };
        if (answer is { Kind: AnswerKind.Refused, ProblemType: not "/problems/insufficient-funds" })
        {
            _answerProblems.Enqueue($"{operation.Kind.ToString().ToLowerInvariant()} {operation.OperationId} was refused: {BankHttp.Describe(answer)}");
        }

        return operation with
        {
            Reference = reference,
            InvokedAt = invokedAt,
            CompletedAt = answer.Kind == AnswerKind.None ? null : answer.CompletedAt,
            Outcome = outcome,
            Retries = answer.Retries,
        };
    }

    private sealed record Reads(List<TotalRead> Totals, List<BalanceRead> Balances);

    /// <summary>One reader: trial-balance reads and as-of reads of random accounts, alternately at random, until the duration ends.</summary>
    private async Task<Reads> ReadAsync(int reader, IReadOnlyList<BankAccount> accounts, TotalRead baseline, long end, CancellationToken cancellation)
    {
        var random = new Random(unchecked((settings.Seed * 1_000) - 1 - reader));
        var reads = new Reads([], []);
        while (Stopwatch.GetTimestamp() < end)
        {
            if (random.Next(2) == 0)
            {
                var started = Stopwatch.GetTimestamp();
                var (status, problemType, body) = await api.GetAsync("api/v1/ledger/balances", cancellation);
                var ended = Stopwatch.GetTimestamp();
                if (body is { } trial)
                {
                    var (total, balanced) = CurrencyTotal(trial);
                    Interlocked.Increment(ref _trialBalanceReads);
                    reads.Totals.Add(new TotalRead($"trial balance read at {Seconds(started)}", started, ended, total - baseline.TotalMinor, balanced));
                }
                else
                {
                    NoteFailedRead("trial balance", status, problemType);
                }
            }
            else
            {
                var account = accounts[random.Next(accounts.Count)];
                var asOf = DateTimeOffset.UtcNow.AddMilliseconds(-random.Next(0, 2_000)).ToString("O", CultureInfo.InvariantCulture);
                var (status, problemType, body) = await api.GetAsync($"api/v1/accounts/{account.AccountId}?asOf={Uri.EscapeDataString(asOf)}", cancellation);
                if (body is { } view)
                {
                    Interlocked.Increment(ref _asOfReads);
                    reads.Balances.Add(new BalanceRead($"as-of {asOf}", account.AccountId, Minor(view, "balance"), Minor(view, "available")));
                }
                else if (problemType != "/problems/account-not-yet-created")
                {
                    NoteFailedRead($"as-of read of {account.AccountId}", status, problemType);
                }
            }

            await Task.Delay(ReadPause, cancellation);
        }

        return reads;
    }

    private static string Seconds(long timestamp) =>
        TimeSpan.FromSeconds((double)timestamp / Stopwatch.Frequency).TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);

    /// <summary>A read the API could not serve (an outage) is only counted; one it refused is a problem of its own.</summary>
    private void NoteFailedRead(string what, HttpStatusCode? status, string? problemType)
    {
        Interlocked.Increment(ref _failedReads);
        _failedReadAnswers.AddOrUpdate(status is null ? "no answer" : $"{(int)status} {problemType}".TrimEnd(), 1, (_, count) => count + 1);
        if (status is { } code && (int)code is >= 400 and < 500 && code is not HttpStatusCode.RequestTimeout and not HttpStatusCode.TooManyRequests)
        {
            _answerProblems.Enqueue($"{what} answered {(int)code}");
        }
    }

    private (long Total, bool Balanced) CurrencyTotal(JsonElement trialBalance)
    {
        foreach (var currency in trialBalance.GetProperty("currencies").EnumerateArray())
        {
            if (currency.GetProperty("currency").GetString() == settings.Currency.Code)
            {
                return (Minor(currency, "totalBalance"), currency.GetProperty("balanced").GetBoolean());
            }
        }

        return (0, true);
    }

    private async Task<TotalRead> CurrencyTotalAsync(long deadline, Random random, CancellationToken cancellation)
    {
        var started = Stopwatch.GetTimestamp();
        var (total, balanced) = CurrencyTotal(await api.GetRequiredAsync("api/v1/ledger/balances", deadline, random, cancellation));
        return new TotalRead("trial balance", started, Stopwatch.GetTimestamp(), total, balanced);
    }

    private async Task<(List<BalanceRead>, TotalRead)> FinalBalancesAsync(IReadOnlyList<BankAccount> accounts, Random random, CancellationToken cancellation)
    {
        var started = Stopwatch.GetTimestamp();
        var deadline = Deadline(RequiredReadLimit);
        var finals = new List<BalanceRead>();
        foreach (var account in accounts)
        {
            var view = await api.GetRequiredAsync($"api/v1/accounts/{account.AccountId}", deadline, random, cancellation);
            finals.Add(new BalanceRead("final", account.AccountId, Minor(view, "balance"), Minor(view, "available")));
        }

        return (finals, new TotalRead("final balances", started, Stopwatch.GetTimestamp(), finals.Sum(read => read.BalanceMinor)));
    }

    private async Task<IReadOnlyList<HistoryEntry>> HistoryAsync(Guid accountId, Random random, CancellationToken cancellation)
    {
        var entries = new List<HistoryEntry>();
        var deadline = Deadline(RequiredReadLimit);
        string? after = null;
        do
        {
            var page = await api.GetRequiredAsync($"api/v1/accounts/{accountId}/history?limit={HistoryPageLimit}" +
                                                  (after is null ? "" : $"&after={Uri.EscapeDataString(after)}"), deadline, random, cancellation);
            foreach (var entry in page.GetProperty("entries").EnumerateArray())
            {
                entries.Add(new HistoryEntry(accountId, entry.GetProperty("version").GetInt64(), entry.GetProperty("eventId").GetGuid(),
                    entry.GetProperty("type").GetString()!, Minor(entry, "amount"), Minor(entry, "balanceAfter"),
                    entry.TryGetProperty("transferId", out var transferId) ? transferId.GetGuid() : null,
                    entry.TryGetProperty("reference", out var reference) ? reference.GetString() : null,
                    entry.GetProperty("data").TryGetProperty("holdId", out var holdId) ? holdId.GetGuid() : null));
            }

            after = page.TryGetProperty("nextCursor", out var cursor) && cursor.ValueKind == JsonValueKind.String ? cursor.GetString() : null;
        }
        while (after is not null);

        return entries;
    }

    private async Task<IReadOnlyList<IntegrityRead>> IntegrityAsync(IReadOnlyList<BankAccount> accounts, Random random, CancellationToken cancellation)
    {
        var deadline = Deadline(RequiredReadLimit);
        var ledger = await api.GetRequiredAsync("api/v1/ledger/integrity", deadline, random, cancellation);
        var reads = new List<IntegrityRead>
        {
            new("ledger", ledger.GetProperty("valid").GetBoolean(), $"{ledger.GetProperty("brokenStreams").GetInt64()} broken streams"),
        };
        foreach (var account in accounts)
        {
            var answer = await api.GetRequiredAsync($"api/v1/accounts/{account.AccountId}/integrity", deadline, random, cancellation);
            reads.Add(new IntegrityRead($"account {account.AccountId}", answer.GetProperty("valid").GetBoolean(),
                answer.TryGetProperty("problem", out var problem) && problem.ValueKind == JsonValueKind.String ? problem.GetString() : null));
        }

        return reads;
    }
}
