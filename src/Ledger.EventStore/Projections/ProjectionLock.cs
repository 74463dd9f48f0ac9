using Npgsql;

namespace Ledger.EventStore.Projections;

/// <summary>
/// One rebuild or verification per projection at a time, across every process: a PostgreSQL session advisory lock held by
/// the run's own connection, released when the run ends (explicitly: a pooled connection would otherwise keep it) or when
/// its process dies.
/// </summary>
public sealed class ProjectionLock : IAsyncDisposable
{
    // The first half of the two-part advisory lock key, so projection locks never collide with anyone else's single keys.
    private const int LockSpace = 7353;

    private readonly NpgsqlConnection _connection;
    private readonly string _projection;

    private ProjectionLock(NpgsqlConnection connection, string projection) => (_connection, _projection) = (connection, projection);

    /// <summary>The lock, held on <paramref name="connection"/> until disposed; null when another session holds it.</summary>
    public static async Task<ProjectionLock?> TryTakeAsync(NpgsqlConnection connection, string projection, CancellationToken cancellation)
    {
        await using var command = Command("select pg_try_advisory_lock(@space, hashtext('ledger.projection:' || @name))", connection, projection);
        return (bool)(await command.ExecuteScalarAsync(cancellation))! ? new ProjectionLock(connection, projection) : null;
    }

    /// <summary>Whether some session holds the projection's lock right now.</summary>
    public static async Task<bool> IsHeldAsync(NpgsqlConnection connection, string projection, CancellationToken cancellation)
    {
        await using var command = Command(
            // Advisory locks belong to one database; pg_locks shows the whole server's.
            "select exists (select 1 from pg_locks where locktype = 'advisory' and granted " +
            "and database = (select oid from pg_database where datname = current_database()) " +
            "and classid = @space and objid = hashtext('ledger.projection:' || @name)::oid and objsubid = 2)", connection, projection);
        return (bool)(await command.ExecuteScalarAsync(cancellation))!;
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection.State == System.Data.ConnectionState.Open)
        {
            await using var command = Command("select pg_advisory_unlock(@space, hashtext('ledger.projection:' || @name))", _connection, _projection);
            try
            {
                await command.ExecuteScalarAsync(CancellationToken.None);
            }
            catch (NpgsqlException) when (_connection.State != System.Data.ConnectionState.Open)
            {
                // The session is gone (terminated, network lost), and its lock went with it.
            }
        }
    }

    private static NpgsqlCommand Command(string sql, NpgsqlConnection connection, string projection)
    {
        var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("name", projection);
        command.Parameters.AddWithValue("space", LockSpace);
        return command;
    }
}
