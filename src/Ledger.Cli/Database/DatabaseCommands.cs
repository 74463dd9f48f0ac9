using System.CommandLine;
using Ledger.Cli.Output;
using Ledger.EventStore;

namespace Ledger.Cli.Database;

/// <summary>
/// <c>ledger db script</c> and <c>ledger db migrate</c>: how a database outside Development gets the schema the code needs
/// (ADR-015). Both compare the database with the store configuration the API uses; neither drops anything.
/// </summary>
internal static class DatabaseCommands
{
    public static Command Create()
    {
        var database = new DatabaseOptions();
        var db = new Command("db", "The ledger's database schema.")
        {
            CreateScript(database),
            CreateMigrate(database),
        };
        database.AddTo(db);
        return db;
    }

    private static Command CreateScript(DatabaseOptions database)
    {
        var script = new Command("script",
            "Print the SQL that brings the database to the current schema (for an empty database, the whole schema); changes nothing.");
        script.Validators.Add(database.Validate);
        script.SetAction((parseResult, cancellation) =>
        {
            var output = CliOutput.For(parseResult, json: false);
            return DatabaseRun.RunAsync(parseResult, database, output, SchemaUse.AsItIs, async ledger =>
            {
                var migration = await LedgerSchema.CompareAsync(ledger.Store, cancellation);
                // A comment, so that piping the output into psql is harmless either way.
                await output.WriteLineAsync(LedgerSchema.IsCurrent(migration)
                    ? "-- The schema is current: nothing to apply."
                    : LedgerSchema.Script(ledger.Store, migration));
                return ExitCodes.Success;
            }, cancellation);
        });
        return script;
    }

    private static Command CreateMigrate(DatabaseOptions database)
    {
        var migrate = new Command("migrate",
            "Apply what `ledger db script` prints: create the missing tables, functions and columns; print each change applied.");
        migrate.Validators.Add(database.Validate);
        migrate.SetAction((parseResult, cancellation) =>
        {
            var output = CliOutput.For(parseResult, json: false);
            return DatabaseRun.RunAsync(parseResult, database, output, SchemaUse.AsItIs, async ledger =>
            {
                var migration = await LedgerSchema.CompareAsync(ledger.Store, cancellation);
                if (LedgerSchema.IsCurrent(migration))
                {
                    await output.WriteLineAsync("The schema is current: nothing to apply.");
                    return ExitCodes.Success;
                }

                var changes = LedgerSchema.Changes(migration);
                await LedgerSchema.ApplyAsync(ledger.Store, cancellation);
                foreach (var change in changes)
                {
                    await output.WriteLineAsync(change);
                }

                // What the API checks at start: a migration that does not converge must not look like a success.
                var left = LedgerSchema.Changes(await LedgerSchema.CompareAsync(ledger.Store, cancellation));
                if (left.Count > 0)
                {
                    await output.ErrorAsync($"error: the schema still differs after migrating: {string.Join(", ", left)}");
                    return ExitCodes.Failure;
                }

                await output.WriteLineAsync($"Applied {changes.Count} changes; the schema is current.");
                return ExitCodes.Success;
            }, cancellation);
        });
        return migrate;
    }
}
