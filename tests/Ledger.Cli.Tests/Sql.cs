using Npgsql;

namespace Ledger.Cli.Tests;

/// <summary>Reads and tampers with the test database directly, as an auditor's or an attacker's SQL client would.</summary>
public static class Sql
{
    public static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public static async Task<int> ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteNonQueryAsync();
    }

    /// <summary>A digest of the whole event history: ids, streams, versions and data, in sequence order.</summary>
    public static Task<string> HistoryDigestAsync(string connectionString) => ScalarAsync<string>(connectionString,
        "select coalesce(md5(string_agg(id::text || '|' || stream_id::text || '|' || version || '|' || data::text, ',' order by seq_id)), '') " +
        "from ledger.mt_events");

    /// <summary>A digest of every account entry, to prove that a refused rebuild changed nothing.</summary>
    public static Task<string> EntriesDigestAsync(string connectionString) => ScalarAsync<string>(connectionString,
        "select md5(string_agg(e::text, ',' order by account_id, version)) from ledger.account_entries e");
}
