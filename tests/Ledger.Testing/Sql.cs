using System.Globalization;
using Npgsql;

namespace Ledger.Testing;

/// <summary>
/// Reads and tampers with a test database directly, as an auditor's or an attacker's SQL client would: one statement on
/// its own connection, with positional parameters (<c>$1</c>, <c>$2</c>, ...).
/// </summary>
public static class Sql
{
    public static Task<int> ExecuteAsync(string connectionString, string sql, params object[] values) =>
        RunAsync(connectionString, sql, values, command => command.ExecuteNonQueryAsync());

    /// <summary>
    /// The first column of the first row. A number is converted to a numeric <typeparamref name="T"/> (a count is a
    /// <c>bigint</c>, a sum a <c>numeric</c>); anything else must already be a <typeparamref name="T"/>.
    /// </summary>
    public static Task<T> ScalarAsync<T>(string connectionString, string sql, params object[] values) =>
        RunAsync(connectionString, sql, values, async command => As<T>(await command.ExecuteScalarAsync()));

    private static async Task<T> RunAsync<T>(string connectionString, string sql, object[] values, Func<NpgsqlCommand, Task<T>> run)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return await run(command);
    }

    private static T As<T>(object? value) =>
        value is T typed ? typed : (T)Convert.ChangeType(value, typeof(T), CultureInfo.InvariantCulture)!;
}
