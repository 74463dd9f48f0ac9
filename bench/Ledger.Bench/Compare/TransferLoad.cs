using System.Diagnostics;
using System.Globalization;
using System.Text.Unicode;

namespace Ledger.Bench.Compare;

internal enum Distribution
{
    /// <summary>Both accounts drawn uniformly from all accounts.</summary>
    Uniform,

    /// <summary><see cref="CompareSettings.HotShare"/> of transfers between two of the <see cref="CompareSettings.HotAccounts"/> hot accounts, the rest uniform.</summary>
    Hot,
}

/// <summary>One run of transfers: committed transfers/s, latency from first attempt to final answer, refusals and retries.</summary>
internal sealed record TransferRun(
    string Distribution,
    int Clients,
    double? TargetPerSecond,
    double Seconds,
    long Committed,
    double TransfersPerSecond,
    LatencySummary Latency,
    long RetriedTransfers,
    long Refused,
    long GaveUp,
    IReadOnlyDictionary<string, long> Errors,
    IReadOnlyDictionary<string, long> Retries,
    CpuPerTransaction? Cpu = null);

/// <summary>
/// Drives <c>POST /api/v1/transfers</c> from concurrent clients: closed-loop (each client sends its next transfer when the
/// previous one is answered) or paced (transfers due at a fixed rate). Each transfer has a new transferId, two distinct
/// accounts of the distribution and an amount from 0.01 to 1.00. The body is written into a buffer of the client's, and
/// latencies are Stopwatch ticks in a list of the client's, so the generator allocates little beyond the HTTP messages.
/// </summary>
internal sealed class TransferLoad(LedgerClient api, IReadOnlyList<Guid> accounts, string authorization)
{
    private const string Path = "/api/v1/transfers";
    private const int BodyBytesMax = 256;
    private const int DrainBytes = 4_096;
    private const int AmountMinorMax = 100;

    private long _committedSoFar;

    /// <summary>Transfers committed by every run of this load so far; readable while a run goes on.</summary>
    public long CommittedSoFar => Interlocked.Read(ref _committedSoFar);

    public Task<TransferRun> RunClosedLoopAsync(Distribution distribution, int clients, TimeSpan duration, int seed, CancellationToken cancellation) =>
        RunAsync(distribution, clients, duration, seed, pacing: null, cancellation);

    /// <summary>Transfers due at <paramref name="perSecond"/>, sent by up to <paramref name="clients"/> at once; a late one is sent at once.</summary>
    public Task<TransferRun> RunPacedAsync(double perSecond, int clients, TimeSpan duration, int seed, CancellationToken cancellation) =>
        RunAsync(Distribution.Uniform, clients, duration, seed, new Pacing(Stopwatch.Frequency / perSecond, perSecond), cancellation);

    private sealed class Pacing(double intervalTicks, double perSecond)
    {
        private long _issued = -1;

        public double PerSecond => perSecond;

        /// <summary>When the next transfer is due, in Stopwatch ticks after the run's start.</summary>
        public long NextDue() => (long)(Interlocked.Increment(ref _issued) * intervalTicks);
    }

    private async Task<TransferRun> RunAsync(Distribution distribution, int clients, TimeSpan duration, int seed, Pacing? pacing,
        CancellationToken cancellation)
    {
        var start = Stopwatch.GetTimestamp();
        var deadline = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var runs = Enumerable.Range(0, clients)
            .Select(client => Task.Run(() => ClientAsync(distribution, new Random(seed * 1_000 + client), start, deadline, pacing, cancellation),
                cancellation))
            .ToList();
        var results = await Task.WhenAll(runs);
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;

        var latencies = new List<long>(results.Sum(result => result.Latencies.Count));
        var (errors, retries) = (new Tally(), new Tally());
        foreach (var result in results)
        {
            latencies.AddRange(result.Latencies);
            errors.AddAll(result.Errors);
            retries.AddAll(result.Retries);
        }

        var committed = results.Sum(result => result.Committed);
        return new TransferRun(distribution.ToString().ToLowerInvariant(), clients, pacing?.PerSecond, seconds, committed, committed / seconds,
            LatencySummary.FromStopwatchTicks(latencies), results.Sum(result => result.Retried), results.Sum(result => result.Refused),
            results.Sum(result => result.GaveUp), errors.ToDictionary(), retries.ToDictionary());
    }

    private sealed class ClientResult
    {
        public List<long> Latencies { get; } = new(16_384);

        public Tally Errors { get; } = new();

        public Tally Retries { get; } = new();

        public long Committed { get; set; }

        public long Refused { get; set; }

        public long GaveUp { get; set; }

        public long Retried { get; set; }
    }

    private async Task<ClientResult> ClientAsync(Distribution distribution, Random random, long start, long deadline, Pacing? pacing,
        CancellationToken cancellation)
    {
        var result = new ClientResult();
        var body = new byte[BodyBytesMax];
        var drain = new byte[DrainBytes];
        while (!cancellation.IsCancellationRequested)
        {
            if (pacing is not null)
            {
                var due = start + pacing.NextDue();
                if (due >= deadline)
                {
                    break;
                }

                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.FromMilliseconds(1))
                {
                    await Task.Delay(wait, cancellation);
                }
            }
            else if (Stopwatch.GetTimestamp() >= deadline)
            {
                break;
            }

            var (from, to) = Pick(distribution, random);
            var length = WriteBody(body, Guid.NewGuid(), accounts[from], accounts[to], random.Next(1, AmountMinorMax + 1));
            var sent = Stopwatch.GetTimestamp();
            var answer = await api.PostAsync(Path, body, length, authorization, idempotencyKey: null, result.Retries, drain, random, cancellation);
            var elapsed = Stopwatch.GetTimestamp() - sent;
            result.Retried += answer.Retries > 0 ? 1 : 0;
            switch (answer.Outcome)
            {
                case CommandOutcome.Committed:
                    result.Committed++;
                    result.Latencies.Add(elapsed);
                    Interlocked.Increment(ref _committedSoFar);
                    break;
                case CommandOutcome.Refused:
                    result.Refused++;
                    result.Errors.Add(answer.Describe());
                    break;
                default:
                    result.GaveUp++;
                    result.Errors.Add($"gave up after {LedgerClient.AttemptsMax} attempts: {answer.Describe()}");
                    break;
            }
        }

        return result;
    }

    private (int From, int To) Pick(Distribution distribution, Random random)
    {
        var range = distribution == Distribution.Hot && random.NextDouble() < CompareSettings.HotShare ? CompareSettings.HotAccounts : accounts.Count;
        var from = random.Next(range);
        var to = random.Next(range - 1);
        return (from, to >= from ? to + 1 : to);
    }

    private static int WriteBody(byte[] body, Guid transferId, Guid fromAccountId, Guid toAccountId, int amountMinor) =>
        Utf8.TryWrite(body, CultureInfo.InvariantCulture,
            $"{{\"transferId\":\"{transferId}\",\"fromAccountId\":\"{fromAccountId}\",\"toAccountId\":\"{toAccountId}\",\"amount\":\"{amountMinor / 100}.{amountMinor % 100:D2}\",\"reference\":\"bench\"}}",
            out var written)
            ? written
            : throw new InvalidOperationException("A transfer body outgrew its buffer.");
}
