using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Ledger.EventStore;
using Ledger.EventStore.Projections;
using Marten;

namespace Ledger.Bench.Compare;

internal sealed record AsOfRun(int Events, double SeedSeconds, int Reads, LatencySummary Latency);

/// <summary>
/// As-of reads over HTTP (<c>GET /api/v1/accounts/{id}?asOf=</c>, one client, one read at a time) on accounts with
/// histories of different lengths. The histories are appended through Marten and the inline projections directly, as the
/// as-of benchmark does; every answer's version is checked against the instant asked for.
/// </summary>
internal static class AsOfReads
{
    public static async Task<IReadOnlyList<(int Events, Guid AccountId, double SeedSeconds)>> SeedAsync(string connectionString,
        IEnumerable<int> histories)
    {
        using var store = DocumentStore.For(options => LedgerStore.Configure(options, connectionString, ProjectionCatalog.Ledger));
        var seeded = new List<(int, Guid, double)>();
        foreach (var events in histories)
        {
            var stopwatch = Stopwatch.StartNew();
            seeded.Add((events, await LongHistory.SeedAsync(store, events), stopwatch.Elapsed.TotalSeconds));
        }

        return seeded;
    }

    /// <summary>A warm-up of a fifth of <paramref name="reads"/> (not recorded), then <paramref name="reads"/> timed reads.</summary>
    public static async Task<AsOfRun> MeasureAsync(LedgerClient api, string authorization, (int Events, Guid AccountId, double SeedSeconds) account,
        int reads, CancellationToken cancellation)
    {
        var random = new Random(42);
        await ReadAsync(api, authorization, account, random, reads / 5, null, cancellation);
        var latencies = new List<long>(reads);
        await ReadAsync(api, authorization, account, random, reads, latencies, cancellation);
        return new AsOfRun(account.Events, account.SeedSeconds, reads, LatencySummary.FromStopwatchTicks(latencies));
    }

    private static async Task ReadAsync(LedgerClient api, string authorization, (int Events, Guid AccountId, double SeedSeconds) account,
        Random random, int reads, List<long>? latencies, CancellationToken cancellation)
    {
        for (var i = 0; i < reads; i++)
        {
            var second = random.Next(account.Events);
            var path = $"/api/v1/accounts/{account.AccountId}?asOf={Uri.EscapeDataString(LongHistory.InstantAfter(second).ToString("O"))}";
            var sent = Stopwatch.GetTimestamp();
            var (status, body) = await api.GetBytesAsync(path, authorization, cancellation);
            latencies?.Add(Stopwatch.GetTimestamp() - sent);
            var version = status == HttpStatusCode.OK ? JsonDocument.Parse(body).RootElement.GetProperty("version").GetInt64() : (long?)null;
            if (version != second + 1)
            {
                throw new InvalidOperationException(
                    $"GET {path} answered {(int)status} with version {version}, expected {second + 1}: {System.Text.Encoding.UTF8.GetString(body)}");
            }
        }
    }
}
