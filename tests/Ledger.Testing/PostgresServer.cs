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

        SweepAbandonedClusters();
        var server = EmbeddedPostgres.Start(
            new EmbeddedPostgresOptions
            {
                DataDirectory = Path.Combine(Path.GetTempPath(), $"{ClusterPrefix}{Guid.NewGuid():N}"),
                // The maintenance database exists already; each test class creates its own through CreateDatabase.
                Database = "postgres",
                DeleteOnStop = true,
                Durable = false,
            },
            new ConsoleErrorLogger());
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Dispose();
        return server.AdminConnectionString;
    }

    /// <summary>
    /// Deletes the data folders earlier test runs left behind: a test host can end before its exit handler has deleted
    /// the folder (about 400 MB each). A folder is abandoned when the process named in its <c>.owner</c> file is gone and
    /// no server runs in it; a folder of a test run still going (another test assembly, another clone) is left alone.
    /// </summary>
    private static void SweepAbandonedClusters()
    {
        foreach (var folder in Directory.EnumerateDirectories(Path.GetTempPath(), $"{ClusterPrefix}*"))
        {
            var ownerFile = folder + ".owner";
            if (IsAlive(ReadPid(ownerFile)) || IsAlive(ReadPid(Path.Combine(folder, "postmaster.pid"))))
            {
                continue;
            }

            try
            {
                Directory.Delete(folder, recursive: true);
                File.Delete(ownerFile);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // Another run sweeping at the same time, or a file in use: the next run tries again.
            }
        }
    }

    /// <summary>The process id on the first line of a pid file (PostgreSQL's, or our owner file), or null.</summary>
    private static int? ReadPid(string file)
    {
        try
        {
            return File.Exists(file) && int.TryParse(File.ReadLines(file).FirstOrDefault()?.Trim(), System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool IsAlive(int? pid)
    {
        if (pid is not { } id)
        {
            return false;
        }

        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(id);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
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
