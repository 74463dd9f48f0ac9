using Npgsql;

namespace Ledger.EventStore.Projections;

/// <summary>
/// One rebuild or verification per projection at a time, across every process: a PostgreSQL session advisory lock held by
/// the run's own connection, released when the run ends or its process dies.
/// </summary>
public static class ProjectionLock
{
    // The first half of the two-part advisory lock key, so projection locks never collide with anyone else's single keys.
    private const int LockSpace = 7353;

    public static async Task<bool> TryTakeAsync(NpgsqlConnection connection, string projection, CancellationToken cancellation)
    {
        await using var command = new NpgsqlCommand("select pg_try_advisory_lock(@space, hashtext('ledger.projection:' || @name))", connection);
        command.Parameters.AddWithValue("name", projection);
        command.Parameters.AddWithValue("space", LockSpace);
        return (bool)(await command.ExecuteScalarAsync(cancellation))!;
    }

    /// <summary>Whether some session holds the projection's lock right now.</summary>
    public static async Task<bool> IsHeldAsync(NpgsqlConnection connection, string projection, CancellationToken cancellation)
    {
        await using var command = new NpgsqlCommand(
            "select exists (select 1 from pg_locks where locktype = 'advisory' and granted " +
            "and classid = @space and objid = hashtext('ledger.projection:' || @name)::oid and objsubid = 2)", connection);
        command.Parameters.AddWithValue("name", projection);
        command.Parameters.AddWithValue("space", LockSpace);
        return (bool)(await command.ExecuteScalarAsync(cancellation))!;
    }
}
