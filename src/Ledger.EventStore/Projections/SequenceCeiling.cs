using Ledger.EventStore.MartenStorage;
using Npgsql;

namespace Ledger.EventStore.Projections;

/// <summary>
/// The highest event sequence below which no event can still appear. Sequence numbers are taken before the append commits,
/// so a hole may be an append still in flight (wait for it) or one that rolled back (a permanent hole). A hole is taken as
/// permanent once this instance has seen it for <see cref="GapTimeout"/>, the rule Marten's daemon applies. Holes are aged
/// by observation, not by event timestamps, because bulk-written history carries no append time to go by.
/// Marten's tombstones are read here like any row: they fill the positions of failed appends, so the ceiling passes them
/// at once instead of waiting out a hole (ADR-008); the event readers then skip them.
/// </summary>
public sealed class SequenceCeiling(TimeProvider time)
{
    public static readonly TimeSpan GapTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Holes followed at once; more than this many in flight is far beyond any real load.</summary>
    private const int GapsTrackedMax = 1_000;

    private readonly Dictionary<long, DateTimeOffset> _firstSeen = [];
    private readonly Lock _gate = new();

    /// <summary>
    /// The ceiling above <paramref name="afterSequence"/> as of now, looking at most <paramref name="scanMax"/> events ahead
    /// (a reader that takes a batch need not scan the whole backlog); holes seen for the first time hold it back.
    /// </summary>
    public async Task<long> ReadAsync(NpgsqlConnection connection, long afterSequence, CancellationToken cancellation,
        int scanMax = int.MaxValue)
    {
        await using var command = new NpgsqlCommand(MartenTables.SelectSequenceGaps, connection);
        command.Parameters.AddWithValue("after", afterSequence);
        command.Parameters.AddWithValue("gaps", GapsTrackedMax + 1);
        command.Parameters.AddWithValue("scan", scanMax);
        var gaps = new List<long>();
        long? highest = null;
        await using (var reader = await command.ExecuteReaderAsync(cancellation))
        {
            while (await reader.ReadAsync(cancellation))
            {
                if (reader.IsDBNull(1))
                {
                    highest = reader.GetInt64(0);
                }
                else
                {
                    gaps.Add(reader.GetInt64(0));
                }
            }
        }

        var now = time.GetUtcNow();
        lock (_gate)
        {
            foreach (var stale in _firstSeen.Keys.Where(gap => gap < afterSequence).ToList())
            {
                _firstSeen.Remove(stale);
            }

            foreach (var before in gaps)
            {
                var seen = _firstSeen.TryAdd(before, now) ? now : _firstSeen[before];
                if (now - seen < GapTimeout)
                {
                    return before;
                }
            }
        }

        // With more holes than tracked, the last row is a hole, not the head: go as far as the holes allow.
        return highest ?? gaps[^1];
    }

    /// <summary>
    /// Waits until the ceiling no longer moves because of young holes (at most a little over <see cref="GapTimeout"/>),
    /// for a one-off reader such as a rebuild, which has no earlier observations to go by.
    /// </summary>
    public async Task<long> SettleAsync(NpgsqlConnection connection, long afterSequence, CancellationToken cancellation)
    {
        var deadline = time.GetUtcNow() + GapTimeout + TimeSpan.FromSeconds(1);
        while (true)
        {
            var ceiling = await ReadAsync(connection, afterSequence, cancellation);
            if (ceiling >= await EventStoreHead.ReadAsync(connection, cancellation) || time.GetUtcNow() > deadline)
            {
                return ceiling;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), time, cancellation);
        }
    }
}
