using System.Diagnostics;

namespace Ledger.Bench.Compare;

/// <summary>Latency percentiles in milliseconds, by nearest rank.</summary>
internal sealed record LatencySummary(long Count, double MeanMs, double P50Ms, double P95Ms, double P99Ms, double MaxMs)
{
    public static readonly LatencySummary Empty = new(0, 0, 0, 0, 0, 0);

    /// <summary>From <see cref="Stopwatch"/> tick counts; sorts the list in place.</summary>
    public static LatencySummary FromStopwatchTicks(List<long> ticks)
    {
        ArgumentNullException.ThrowIfNull(ticks);
        if (ticks.Count == 0)
        {
            return Empty;
        }

        ticks.Sort();
        double Milliseconds(long value) => value * 1_000.0 / Stopwatch.Frequency;
        double At(double percentile) => Milliseconds(ticks[Rank(percentile, ticks.Count)]);
        var sum = 0.0;
        foreach (var value in ticks)
        {
            sum += Milliseconds(value);
        }

        return new LatencySummary(ticks.Count, sum / ticks.Count, At(0.50), At(0.95), At(0.99), Milliseconds(ticks[^1]));
    }

    /// <summary>From milliseconds; sorts the list in place.</summary>
    public static LatencySummary FromMilliseconds(List<double> milliseconds)
    {
        ArgumentNullException.ThrowIfNull(milliseconds);
        if (milliseconds.Count == 0)
        {
            return Empty;
        }

        milliseconds.Sort();
        double At(double percentile) => milliseconds[Rank(percentile, milliseconds.Count)];
        return new LatencySummary(milliseconds.Count, milliseconds.Average(), At(0.50), At(0.95), At(0.99), milliseconds[^1]);
    }

    private static int Rank(double percentile, int count) => Math.Clamp((int)Math.Ceiling(percentile * count) - 1, 0, count - 1);
}

/// <summary>Counts by a short description (an HTTP status and problem type, or a failure's kind); merged across clients.</summary>
internal sealed class Tally
{
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);

    public long Total => _counts.Values.Sum();

    public void Add(string what, long count = 1) => _counts[what] = _counts.GetValueOrDefault(what) + count;

    public void AddAll(Tally other)
    {
        ArgumentNullException.ThrowIfNull(other);
        foreach (var (what, count) in other._counts)
        {
            Add(what, count);
        }
    }

    public IReadOnlyDictionary<string, long> ToDictionary() =>
        _counts.OrderByDescending(pair => pair.Value).ThenBy(pair => pair.Key, StringComparer.Ordinal)
            .ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.Ordinal);
}
