using Npgsql;
using NpgsqlTypes;

namespace Ledger.EventStore.Projections;

/// <summary>Writes rows with PostgreSQL's binary COPY: the fastest way to fill a shadow table.</summary>
public static class BinaryCopy
{
    public static async Task WriteAsync(NpgsqlConnection connection, string qualifiedTable, string columns,
        IReadOnlyList<NpgsqlDbType> types, IEnumerable<object[]> rows, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(types);
        ArgumentNullException.ThrowIfNull(rows);
        await using var writer = await connection.BeginBinaryImportAsync($"copy {qualifiedTable} ({columns}) from stdin (format binary)",
            cancellation);
        foreach (var row in rows)
        {
            await writer.StartRowAsync(cancellation);
            for (var i = 0; i < row.Length; i++)
            {
                if (row[i] is DBNull)
                {
                    await writer.WriteNullAsync(cancellation);
                }
                else
                {
                    await writer.WriteAsync(row[i], types[i], cancellation);
                }
            }
        }

        await writer.CompleteAsync(cancellation);
    }

    /// <summary>Deletes the rows whose single-column key is one of <paramref name="keys"/>.</summary>
    public static async Task DeleteKeysAsync<TKey>(NpgsqlConnection connection, string qualifiedTable, string keyColumn,
        IEnumerable<TKey> keys, CancellationToken cancellation)
    {
        await using var delete = new NpgsqlCommand($"delete from {qualifiedTable} where {keyColumn} = any(@keys)", connection);
        delete.Parameters.AddWithValue("keys", keys.ToArray());
        await delete.ExecuteNonQueryAsync(cancellation);
    }

    /// <summary>Runs one statement per row, all in one round trip.</summary>
    public static async Task ExecuteForEachAsync(NpgsqlConnection connection, string sql, IReadOnlyList<NpgsqlDbType> types,
        IEnumerable<object[]> rows, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(types);
        ArgumentNullException.ThrowIfNull(rows);
        await using var batch = new NpgsqlBatch(connection);
        foreach (var row in rows)
        {
            var command = new NpgsqlBatchCommand(sql);
            for (var i = 0; i < row.Length; i++)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = row[i], NpgsqlDbType = types[i] });
            }

            batch.BatchCommands.Add(command);
        }

        if (batch.BatchCommands.Count > 0)
        {
            await batch.ExecuteNonQueryAsync(cancellation);
        }
    }
}
