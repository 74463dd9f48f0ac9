using System.Diagnostics;
using System.Globalization;
using System.Text.Unicode;

namespace Ledger.Bench.Compare;

internal sealed record SetupResult(int Accounts, double Seconds, double AccountsPerSecond, long Retries);

/// <summary>
/// Opens the accounts over HTTP and funds each with one deposit, from concurrent workers; each account is opened with
/// its own id and funded under an Idempotency-Key, so a retried request takes effect once. Any refusal stops the run.
/// </summary>
internal static class AccountSetup
{
    public const string Currency = "EUR";

    /// <summary>Enough that transfers of at most 1.00 never meet insufficient funds, even on the hot accounts.</summary>
    public const string Funding = "1000000.00";

    private const int Workers = 16;

    public static async Task<(Guid[] Accounts, SetupResult Result)> OpenAsync(LedgerClient api, int count, string authorization,
        CancellationToken cancellation)
    {
        var accounts = Enumerable.Range(0, count).Select(_ => Guid.CreateVersion7()).ToArray();
        var next = -1;
        var retries = new Tally();
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(worker => Task.Run(async () =>
        {
            var (random, body, drain) = (new Random(worker), new byte[256], new byte[4_096]);
            var transient = new Tally();
            for (var index = Interlocked.Increment(ref next); index < count; index = Interlocked.Increment(ref next))
            {
                var id = accounts[index];
                var length = Written(Utf8.TryWrite(body, CultureInfo.InvariantCulture,
                    $"{{\"accountId\":\"{id}\",\"owner\":\"Bench {index}\",\"currency\":\"{Currency}\"}}", out var written), written);
                Require(await api.PostAsync("/api/v1/accounts", body, length, authorization, null, transient, drain, random, cancellation), "open", id);
                length = Written(Utf8.TryWrite(body, $"{{\"amount\":\"{Funding}\",\"reference\":\"bench funding\"}}", out written), written);
                Require(await api.PostAsync($"/api/v1/accounts/{id}/deposits", body, length, authorization, $"bench-funding-{id}", transient,
                    drain, random, cancellation), "fund", id);
            }

            lock (retries)
            {
                retries.AddAll(transient);
            }
        }, cancellation)));
        return (accounts, new SetupResult(count, stopwatch.Elapsed.TotalSeconds, count / stopwatch.Elapsed.TotalSeconds, retries.Total));
    }

    private static int Written(bool fitted, int written) =>
        fitted ? written : throw new InvalidOperationException("A set-up body outgrew its buffer.");

    private static void Require(CommandAnswer answer, string what, Guid accountId)
    {
        if (answer.Outcome != CommandOutcome.Committed)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"Could not {what} account {accountId}: {answer.Describe()} after {answer.Retries} retries."));
        }
    }
}
