using Ledger.EventStore.MartenStorage;
using Npgsql;

namespace Ledger.EventStore;

/// <summary>
/// The committed head of the event store, the one every "how far behind" answer is measured against (ADR-008): the highest
/// sequence number in <c>mt_events</c>, tombstones included (they hold committed positions). Lag is the number of the
/// ledger's events (tombstones excluded) committed after a reader's position.
/// </summary>
public static class EventStoreHead
{
    /// <summary>An SQL scalar subquery for the head, to be read in the same snapshot as a reader's position.</summary>
    public const string HeadSql = MartenTables.HeadSql;

    /// <summary>An SQL scalar subquery counting the events after <paramref name="position"/> (an SQL expression).</summary>
    public static string LagSql(string position) => MartenTables.LagSql(position);

    public static async Task<long> ReadAsync(NpgsqlConnection connection, CancellationToken cancellation)
    {
        await using var command = new NpgsqlCommand($"select {HeadSql}", connection);
        return (long)(await command.ExecuteScalarAsync(cancellation))!;
    }

    public static async Task<long> LagAsync(NpgsqlConnection connection, long position, CancellationToken cancellation)
    {
        await using var command = new NpgsqlCommand($"select {LagSql("@position")}", connection);
        command.Parameters.AddWithValue("position", position);
        return (long)(await command.ExecuteScalarAsync(cancellation))!;
    }
}
