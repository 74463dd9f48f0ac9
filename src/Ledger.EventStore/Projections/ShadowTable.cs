using Npgsql;

namespace Ledger.EventStore.Projections;

/// <summary>
/// A copy of a live table's shape, filled by a replay and switched in by renames inside one transaction. Indexes are built
/// after the bulk load (faster), under temporary names, and take the live names at the switch, so the schema looks exactly
/// as the store created it and its migrations see no difference.
/// </summary>
public sealed class ShadowTable(string liveTable, string suffix)
{
    private const int IdentifierLengthMax = 63;

    public string Live { get; } = liveTable;

    public string Name { get; } = Checked($"{liveTable}__{suffix}");

    public string QualifiedLive => $"{LedgerStore.Schema}.{Live}";

    public string QualifiedName => $"{LedgerStore.Schema}.{Name}";

    /// <summary>Replaces any leftover of an interrupted run (the caller holds the projection's lock) with an empty copy.</summary>
    public async Task CreateAsync(NpgsqlConnection connection, CancellationToken cancellation) =>
        await ExecuteAsync(connection,
            $"drop table if exists {QualifiedName}; create table {QualifiedName} (like {QualifiedLive} including all excluding indexes)",
            cancellation);

    public async Task DropAsync(NpgsqlConnection connection, CancellationToken cancellation) =>
        await ExecuteAsync(connection, $"drop table if exists {QualifiedName}", cancellation);

    /// <summary>Builds the live table's indexes (primary key included) on the shadow, under the shadow's suffix.</summary>
    public async Task CreateIndexesAsync(NpgsqlConnection connection, CancellationToken cancellation)
    {
        foreach (var index in await LiveIndexesAsync(connection, cancellation))
        {
            var shadowIndex = Checked($"{index.Name}__{Name[(Live.Length + 2)..]}");
            var definition = index.Definition.Replace($" INDEX {index.Name} ON {QualifiedLive} ", $" INDEX {shadowIndex} ON {QualifiedName} ",
                StringComparison.Ordinal);
            if (definition == index.Definition)
            {
                throw new InvalidOperationException($"Cannot copy index {index.Name} of {QualifiedLive}: {index.Definition}");
            }

            await ExecuteAsync(connection, definition, cancellation);
            if (index.IsPrimaryKey)
            {
                await ExecuteAsync(connection, $"alter table {QualifiedName} add constraint {shadowIndex} primary key using index {shadowIndex}",
                    cancellation);
            }
        }
    }

    /// <summary>Swaps the shadow in for the live table; the caller's transaction makes it atomic for every reader.</summary>
    public async Task SwitchAsync(NpgsqlConnection connection, CancellationToken cancellation)
    {
        var retired = Checked($"{Live}__retired");
        var statements = new List<string> { $"drop table if exists {LedgerStore.Schema}.{retired}" };
        foreach (var index in await LiveIndexesAsync(connection, cancellation))
        {
            var shadowIndex = $"{index.Name}__{Name[(Live.Length + 2)..]}";
            statements.Add($"alter index {LedgerStore.Schema}.{index.Name} rename to {Checked($"{index.Name}__retired")}");
            statements.Add($"alter index {LedgerStore.Schema}.{shadowIndex} rename to {index.Name}");
        }

        statements.Add($"alter table {QualifiedLive} rename to {retired}");
        statements.Add($"alter table {QualifiedName} rename to {Live}");
        statements.Add($"drop table {LedgerStore.Schema}.{retired}");
        await ExecuteAsync(connection, string.Join(";\n", statements), cancellation);
    }

    private async Task<List<(string Name, string Definition, bool IsPrimaryKey)>> LiveIndexesAsync(NpgsqlConnection connection,
        CancellationToken cancellation)
    {
        await using var command = new NpgsqlCommand(
            "select c.relname, pg_get_indexdef(i.indexrelid), i.indisprimary from pg_index i join pg_class c on c.oid = i.indexrelid " +
            "where i.indrelid = @table::regclass order by c.relname", connection);
        command.Parameters.AddWithValue("table", QualifiedLive);
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        var indexes = new List<(string, string, bool)>();
        while (await reader.ReadAsync(cancellation))
        {
            indexes.Add((reader.GetString(0), reader.GetString(1), reader.GetBoolean(2)));
        }

        return indexes;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellation)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellation);
    }

    private static string Checked(string identifier) => identifier.Length <= IdentifierLengthMax
        ? identifier
        : throw new InvalidOperationException($"The identifier {identifier} is longer than PostgreSQL's {IdentifierLengthMax} characters.");
}
