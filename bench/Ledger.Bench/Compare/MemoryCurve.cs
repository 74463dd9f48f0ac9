using System.Globalization;
using System.Net;
using System.Text;

namespace Ledger.Bench.Compare;

/// <summary>One reading of the API's memory during the long paced run.</summary>
/// <param name="Seconds">Since the run started.</param>
/// <param name="WorkingSetMiB">The process's resident set (VmRSS), as the operating system counts it.</param>
/// <param name="HeapMiB">The managed heap after the last garbage collection (all generations), from the API's own /metrics.</param>
/// <param name="Committed">Transfers committed so far in the run.</param>
internal sealed record MemorySample(double Seconds, double WorkingSetMiB, double? HeapMiB, long Committed);

/// <summary>
/// The API's memory over a long run at half the peak rate: a sample every <see cref="Interval"/>, and whether it stays flat,
/// judged on the second half of the run (after the caches and pools of the first minutes have filled): the growth of the
/// working set from the start to the end of that half.
/// </summary>
internal sealed record MemoryCurve(TransferRun Load, IReadOnlyList<MemorySample> Samples, double SecondHalfGrowthMiB, double SecondHalfGrowthPercent)
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    // The runtime's own meter (System.Runtime) as the API exports it in Prometheus text format.
    private const string HeapMetric = "dotnet_gc_last_collection_heap_size_bytes";

    public static async Task<MemoryCurve> MeasureAsync(LedgerClient client, string operatorAuthorization, int processId, TransferLoad load,
        double perSecond, int clients, TimeSpan duration, int seed, CancellationToken cancellation)
    {
        var samples = new List<MemorySample>();
        var started = DateTimeOffset.UtcNow;
        var committedBefore = load.CommittedSoFar;
        var run = load.RunPacedAsync(perSecond, clients, duration, seed, cancellation);
        while (true)
        {
            samples.Add(new MemorySample((DateTimeOffset.UtcNow - started).TotalSeconds, WorkingSetMiB(processId),
                await HeapMiBAsync(client, operatorAuthorization, cancellation), load.CommittedSoFar - committedBefore));
            if (await Task.WhenAny(run, Task.Delay(Interval, cancellation)) == run)
            {
                break;
            }
        }

        var finished = await run;
        samples.Add(new MemorySample((DateTimeOffset.UtcNow - started).TotalSeconds, WorkingSetMiB(processId),
            await HeapMiBAsync(client, operatorAuthorization, cancellation), finished.Committed));
        var secondHalf = samples.Where(sample => sample.Seconds >= duration.TotalSeconds / 2).ToList();
        var (first, last) = (secondHalf.First().WorkingSetMiB, secondHalf.Last().WorkingSetMiB);
        return new MemoryCurve(finished, samples, last - first, first > 0 ? (last - first) / first * 100 : 0);
    }

    /// <summary>VmRSS of <c>/proc/&lt;pid&gt;/status</c>, in MiB; 0 where there is no such file (not Linux).</summary>
    private static double WorkingSetMiB(int processId)
    {
        var status = $"/proc/{processId}/status";
        if (!File.Exists(status))
        {
            return 0;
        }

        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        var kilobytes = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, var value, ..] ? long.Parse(value, CultureInfo.InvariantCulture) : 0;
        return kilobytes / 1024.0;
    }

    private static async Task<double?> HeapMiBAsync(LedgerClient client, string authorization, CancellationToken cancellation)
    {
        var (status, body) = await client.GetBytesAsync("/metrics", authorization, cancellation);
        if (status != HttpStatusCode.OK)
        {
            return null;
        }

        double? bytes = null;
        foreach (var line in Encoding.UTF8.GetString(body).Split('\n'))
        {
            if (line.StartsWith(HeapMetric, StringComparison.Ordinal) &&
                double.TryParse(line[(line.LastIndexOf(' ') + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                bytes = (bytes ?? 0) + value;
            }
        }

        return bytes / (1024 * 1024);
    }
}
