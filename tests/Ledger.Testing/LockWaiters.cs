using Npgsql;

namespace Ledger.Testing;

/// <summary>
/// Sessions of one database that wait for a lock, as PostgreSQL reports them: the tests that hold a table wait until the
/// writers they block have reached it, instead of sleeping and hoping.
/// </summary>
public static class LockWaiters
{
    private const string Count =
        "select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'";

    private const string Sessions =
        "select coalesce(string_agg(coalesce(wait_event_type, '-') || '/' || coalesce(wait_event, '-') || " +
        "' blocked by ' || pg_blocking_pids(pid)::text || ': ' || left(query, 120), E'\\n'), '') " +
        "from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and state <> 'idle'";

    /// <summary>Waits until at least <paramref name="count"/> sessions of the database wait for a lock; a failure lists the sessions.</summary>
    public static async Task WaitForAsync(string connectionString, long count)
    {
        // One connection, no transaction: each statement sees fresh activity statistics.
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        try
        {
            await Eventually.HoldsAsync(async () => await ScalarAsync<long>(connection, Count) >= count, $"{count} sessions waiting for a lock");
        }
        catch (TimeoutException timeout)
        {
            throw new TimeoutException($"{timeout.Message} Sessions:\n{await ScalarAsync<string>(connection, Sessions)}", timeout);
        }
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
