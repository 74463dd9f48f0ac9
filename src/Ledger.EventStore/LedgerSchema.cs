using JasperFx;
using Marten;
using Weasel.Core;

namespace Ledger.EventStore;

/// <summary>
/// The database schema against the store's configuration (ADR-015): what is missing or different, the SQL that makes it
/// current, and the check a host outside Development runs before it serves. Development hosts apply the changes at start
/// instead; everywhere else an operator reviews them with <c>ledger db script</c> and applies them with
/// <c>ledger db migrate</c>.
/// </summary>
public static class LedgerSchema
{
    public const string MigrateCommand = "ledger db migrate";
    public const string ScriptCommand = "ledger db script";

    /// <summary>The differences between the database and the configuration; none when the schema is current.</summary>
    public static async Task<SchemaMigration> CompareAsync(IDocumentStore store, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(store);
        return await store.Storage.Database.CreateMigrationAsync(cancellation);
    }

    public static bool IsCurrent(SchemaMigration migration)
    {
        ArgumentNullException.ThrowIfNull(migration);
        return migration.Difference == SchemaPatchDifference.None;
    }

    /// <summary>The objects a migration creates or changes, qualified names in the order they are applied.</summary>
    public static IReadOnlyList<string> Changes(SchemaMigration migration)
    {
        ArgumentNullException.ThrowIfNull(migration);
        return [.. migration.Deltas.Where(delta => delta.Difference != SchemaPatchDifference.None).Select(delta => $"{delta.Difference.ToString().ToLowerInvariant()} {delta.SchemaObject.Identifier.QualifiedName}")];
    }

    /// <summary>The SQL that brings the database to the configured schema (for an empty database, the whole schema).</summary>
    public static string Script(IDocumentStore store, SchemaMigration migration)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(migration);
        using var writer = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        store.Storage.Database.Migrator.WriteScript(writer, (rules, script) => migration.WriteAllUpdates(script, rules, AutoCreate.CreateOrUpdate));
        return writer.ToString();
    }

    /// <summary>Applies every pending change; creates what is missing and never drops what it does not know.</summary>
    public static Task ApplyAsync(IDocumentStore store, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.Storage.Database.ApplyAllConfiguredChangesToDatabaseAsync(ct: cancellation);
    }

    /// <summary>Throws <see cref="StartupRefusedException"/>, naming the pending changes and the fix, unless the schema is current.</summary>
    public static async Task EnsureCurrentAsync(IDocumentStore store, CancellationToken cancellation)
    {
        var migration = await CompareAsync(store, cancellation);
        if (IsCurrent(migration))
        {
            return;
        }

        var changes = Changes(migration);
        const int shownMax = 5;
        var shown = string.Join(", ", changes.Take(shownMax)) + (changes.Count > shownMax ? $" and {changes.Count - shownMax} more" : "");
        throw new StartupRefusedException(
            $"the database schema is not current ({changes.Count} pending changes: {shown}). Run `{MigrateCommand}` with the same " +
            $"ConnectionStrings:Ledger to apply them (`{ScriptCommand}` prints the SQL to review), or, on a development machine, " +
            "run in Development, where the schema is applied at start.");
    }
}
