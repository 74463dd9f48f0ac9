using Marten;
using Npgsql;
using Weasel.Core;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace Ledger.Messaging.Consumers;

/// <summary>
/// A consumer module's tables, declared once as Weasel <see cref="Table"/>s: registered with the ledger's Marten store
/// (<see cref="AddTo"/>), so that its migration, its start-up check and <c>ledger db script</c> cover them, and created or
/// checked from here by a process without a Marten store (the workers, a store used alone), which then makes exactly
/// the tables that <c>ApplyAllDatabaseChangesOnStartup</c> and the schema script make. Hosts create or check them as they
/// start (ADR-015); the stores never run DDL on the way of a message or a request.
/// </summary>
public static class ConsumerTables
{
    // Any constant every process shares: it serializes concurrent first runs, since two migrations creating one object
    // at once can otherwise fail on a unique violation in the catalog.
    private const long CreationLockId = 5495856018237170290;

    /// <summary>Adds the tables to the ledger's Marten store, so that its migration and schema script cover them.</summary>
    public static void AddTo(StoreOptions options, IReadOnlyList<Table> tables)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(tables);
        options.Storage.ExtendedSchemaObjects.AddRange(tables);
    }

    /// <summary>Whether every one of <paramref name="tables"/> exists as declared; reads the catalog only.</summary>
    public static async Task<bool> AreCurrentAsync(NpgsqlDataSource dataSource, IReadOnlyList<Table> tables, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(tables);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await SchemaMigration.DetermineAsync(connection, cancellationToken, [.. tables])).Difference == SchemaPatchDifference.None;
    }

    /// <summary>Creates what is missing of <paramref name="tables"/> (and their schemas); runs nothing when all are there.</summary>
    public static async Task EnsureAsync(NpgsqlDataSource dataSource, IReadOnlyList<Table> tables, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(tables);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // Reading the catalog takes no lock on the tables: once they exist, nothing that could wait on the consumers'
        // own writes (an index creation locks its table even when the index exists) is ever run.
        if ((await SchemaMigration.DetermineAsync(connection, cancellationToken, [.. tables])).Difference == SchemaPatchDifference.None)
        {
            return;
        }

        await using (var locking = new NpgsqlCommand($"select pg_advisory_lock({CreationLockId})", connection))
        {
            await locking.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            // Under the lock, again: another process may have created them meanwhile.
            var migration = await SchemaMigration.DetermineAsync(connection, cancellationToken, [.. tables]);
            await new PostgresqlMigrator().ApplyAllAsync(connection, migration, JasperFx.AutoCreate.CreateOrUpdate, ct: cancellationToken);
        }
        finally
        {
            await using var unlocking = new NpgsqlCommand($"select pg_advisory_unlock({CreationLockId})", connection);
            await unlocking.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }
}
