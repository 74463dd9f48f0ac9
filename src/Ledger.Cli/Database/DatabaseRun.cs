using System.CommandLine;
using Ledger.Cli.Output;
using Ledger.Development.Postgres;
using Ledger.EventStore;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Ledger.Cli.Database;

/// <summary>
/// Runs a command body against the ledger's database, turning an unreachable database, a missing setting or a schema that
/// is not current into a message and exit code 1.
/// </summary>
internal static class DatabaseRun
{
    public static Task<int> RunAsync(ParseResult parseResult, DatabaseOptions database, CliOutput output,
        Func<LedgerDatabase, Task<int>> body, CancellationToken cancellation) =>
        RunAsync(parseResult, database, output, SchemaUse.Current, body, cancellation);

    public static async Task<int> RunAsync(ParseResult parseResult, DatabaseOptions database, CliOutput output, SchemaUse schema,
        Func<LedgerDatabase, Task<int>> body, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(body);
        // Warnings and errors only: stdout is the command's answer, and stderr should hold what needs attention.
        using var loggers = CliLogging.Create(LogLevel.Warning);
        try
        {
            await using var ledger = await LedgerDatabase.OpenAsync(database.Configuration(parseResult), loggers, schema, cancellation);
            return await body(ledger);
        }
        catch (StartupRefusedException refused)
        {
            // A missing connection string outside Development, or a schema that needs `ledger db migrate`.
            await output.ErrorAsync($"error: {refused.Message}");
            return ExitCodes.Failure;
        }
        catch (PostgresUnavailableException unavailable)
        {
            await output.ErrorAsync($"error: PostgreSQL is unavailable: {unavailable.Message}");
            return ExitCodes.Failure;
        }
        catch (NpgsqlException failure)
        {
            await output.ErrorAsync($"error: the database could not be used: {failure.Message}");
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            await output.ErrorAsync("cancelled");
            return ExitCodes.Cancelled;
        }
    }
}
