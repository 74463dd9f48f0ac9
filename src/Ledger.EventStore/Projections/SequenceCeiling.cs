using Npgsql;

namespace Ledger.EventStore.Projections;

/// <summary>
/// The highest event sequence below which no event can still appear. Sequence numbers are taken before the append commits,
/// so a hole may be an append still in flight (wait for it) or one that rolled back (a permanent hole). A hole is taken as
/// permanent once the event after it is older than <see cref="GapTimeout"/>, the same rule Marten's daemon applies.
/// </summary>
public static class SequenceCeiling
{
    public static readonly TimeSpan GapTimeout = TimeSpan.FromSeconds(5);

    public static async Task<long> ReadAsync(NpgsqlConnection connection, long afterSequence, CancellationToken cancellation)
    {
        await using var command = new NpgsqlCommand(
            $"""
            with s as (
                select seq_id, timestamp, lag(seq_id, 1, @after) over (order by seq_id) as previous
                from {LedgerStore.Schema}.mt_events where seq_id > @after)
            select coalesce(
                (select min(previous) from s where seq_id > previous + 1 and timestamp > now() - @timeout),
                (select max(seq_id) from s),
                @after)
            """, connection);
        command.Parameters.AddWithValue("after", afterSequence);
        command.Parameters.AddWithValue("timeout", GapTimeout);
        return (long)(await command.ExecuteScalarAsync(cancellation))!;
    }
}
