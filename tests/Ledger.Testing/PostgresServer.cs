using Ledger.Development.Postgres;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Ledger.Testing;

/// <summary>
/// One PostgreSQL server per test process, shared by every test class: a throwaway cluster started on first use, or the
/// server named by <c>LEDGER_TEST_POSTGRES</c>. Each caller gets its own new database, so test classes running in parallel
/// (and other users of an external server) never see each other's data.
/// </summary>
public static class PostgresServer
{
    // A full Npgsql connection string to an existing server whose user may create databases.
    private const string ExternalServerVariable = "LEDGER_TEST_POSTGRES";

    private const string ClusterPrefix = "ledger-test-";

    // The Lazy remembers a failure, so a missing prerequisite fails every test with the same message instead of retrying
    // initdb once per test class.
    private static readonly Lazy<string> _adminConnectionString =
        new(StartOrFindServer, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// Creates a new, empty database named <c>ledger_test_&lt;12 hex&gt;</c> and returns a connection string to it.
    /// Throws <see cref="PostgresUnavailableException"/> when no server can be provided: a failure, never a skip.
    /// </summary>
    public static string CreateDatabase()
    {
        var admin = new NpgsqlConnectionStringBuilder(_adminConnectionString.Value);
        var database = $"ledger_test_{Guid.NewGuid():N}"[..24];

        // No pooling: an idle pooled session would outlive its use and count against the server's connection limit.
        using (var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(admin.ConnectionString)
               {
                   Pooling = false,
               }.ConnectionString))
        {
            connection.Open();
            // The name is ours, made of [a-z0-9_] only, so it needs no quoting beyond the double quotes.
            using var create = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", connection);
            create.ExecuteNonQuery();
        }

        admin.Database = database;
        return admin.ConnectionString;
    }

    private static string StartOrFindServer()
    {
        var external = Environment.GetEnvironmentVariable(ExternalServerVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            return external;
        }

        // A test host can end before its exit handler has deleted its folder (about 400 MB): delete those of ended runs.
        var logger = new ConsoleErrorLogger();
        EmbeddedPostgres.DeleteAbandoned(Path.GetTempPath(), ClusterPrefix, logger);
        var server = EmbeddedPostgres.Start(
            new EmbeddedPostgresOptions
            {
                DataDirectory = Path.Combine(Path.GetTempPath(), $"{ClusterPrefix}{Guid.NewGuid():N}"),
                // The maintenance database exists already; each test class creates its own through CreateDatabase.
                Database = "postgres",
                DeleteOnStop = true,
                Durable = false,
            },
            logger);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Dispose();
        return server.AdminConnectionString;
    }

    /// <summary>Writes to standard error, which the test runner shows, without a logging package.</summary>
    private sealed class ConsoleErrorLogger : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            if (!IsEnabled(logLevel))
            {
                return;
            }

            Console.Error.WriteLine($"[ledger-test-postgres] {logLevel}: {formatter(state, exception)}");
            if (exception is not null)
            {
                Console.Error.WriteLine(exception);
            }
        }
    }
}
