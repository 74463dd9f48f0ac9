using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Ledger.Development.Postgres;

/// <summary>Where and how to run a private PostgreSQL cluster.</summary>
public sealed record EmbeddedPostgresOptions
{
    /// <summary>The cluster's folder; relative paths resolve against the current directory.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>The database created (if missing) for the application.</summary>
    public string Database { get; init; } = "ledger";

    /// <summary>The folder holding <c>initdb</c>, <c>pg_ctl</c> and <c>postgres</c>; null discovers it.</summary>
    public string? BinDirectory { get; init; }

    /// <summary>Throwaway clusters (tests) delete their folder when stopped.</summary>
    public bool DeleteOnStop { get; init; }

    /// <summary>False trades crash safety for speed (tests): fsync, synchronous_commit and full_page_writes off.</summary>
    public bool Durable { get; init; } = true;

    public int MaxConnections { get; init; } = 300;
}

/// <summary>PostgreSQL cannot be provided; the message says what is wrong and what to do.</summary>
public sealed class PostgresUnavailableException(string message, Exception? innerException = null)
    : Exception(message, innerException);

/// <summary>
/// A PostgreSQL server run from the machine's own server binaries on a loopback port, so that a developer or a test run
/// needs no installed service and no Docker. Start it, use <see cref="ConnectionString"/>, dispose it to stop it.
/// </summary>
public sealed partial class EmbeddedPostgres : IDisposable
{
    private const string SuperUser = "postgres";
    private const string Loopback = "127.0.0.1";
    private const string ServerLogFileName = "server.log";
    private const int InitDbTimeoutSeconds = 120;
    private const int CommandTimeoutSeconds = 60;
    // pg_ctl's own wait (-t) is shorter than our process timeout, so a slow start fails with pg_ctl's message, not ours.
    private const int ServerStartWaitSeconds = 60;
    private const int ServerStartTimeoutSeconds = 90;
    private const int ServerLogTailLines = 20;

    private readonly PostgresBinaries _binaries;
    private readonly EmbeddedPostgresOptions _options;
    private readonly bool _deleteOnStop;
    private readonly ILogger _logger;
    private readonly Lock _restartGate = new();
    private bool _ownsServer;
    private int _disposed;

    private EmbeddedPostgres(PostgresBinaries binaries, EmbeddedPostgresOptions options, string dataDirectory, int port, bool ownsServer,
        ILogger logger)
    {
        _binaries = binaries;
        _options = options;
        _deleteOnStop = options.DeleteOnStop;
        _ownsServer = ownsServer;
        _logger = logger;
        DataDirectory = dataDirectory;
        Port = port;
        ConnectionString = BuildConnectionString(port, options.Database);
        AdminConnectionString = BuildConnectionString(port, SuperUser);
    }

    /// <summary>Connects as the superuser to the application's database.</summary>
    public string ConnectionString { get; }

    /// <summary>Connects as the superuser to the <c>postgres</c> maintenance database.</summary>
    public string AdminConnectionString { get; }

    public int Port { get; }

    /// <summary>The absolute folder actually used, which is a fallback under the temp folder when PostgreSQL cannot reach the requested one.</summary>
    public string DataDirectory { get; }

    /// <summary>
    /// The folder of the server binaries this cluster runs; the client programs of the same release (psql, pgbench) sit
    /// beside them in PostgreSQL's packages.
    /// </summary>
    public string BinDirectory => Path.GetDirectoryName(_binaries.PgCtl)!;

    // initdb and postgres refuse to run as root, and sessions and CI here do run as root.
    private static bool RunsAsRoot => Environment.IsPrivilegedProcess;

    public static EmbeddedPostgres Start(EmbeddedPostgresOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        Validate(options);

        var binaries = PostgresBinaries.Discover(options.BinDirectory);
        var requested = Path.GetFullPath(options.DataDirectory);
        // Claimed before the folder exists, unless a live process already owns it: another process's sweep
        // (DeleteAbandoned) takes a folder without a live owner and without a server, which is what a folder being
        // initialised looks like, so it must never see this one without its owner.
        var claimed = !OwnerIsAlive(requested);
        if (claimed)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(requested.TrimEnd(Path.DirectorySeparatorChar))!);
            File.WriteAllText(OwnerFile(requested), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        }

        string dataDirectory;
        try
        {
            dataDirectory = PrepareDataDirectory(requested, logger);
        }
        catch (Exception) when (claimed)
        {
            File.Delete(OwnerFile(requested));
            throw;
        }

        try
        {
            InitialiseClusterIfMissing(binaries, dataDirectory, logger);
            int? port;
            var owns = true;
            while (true)
            {
                port = ReadPortOfRunningServer(binaries, dataDirectory);
                if (port is null)
                {
                    port = FreeLoopbackPort();
                    StartServer(binaries, dataDirectory, port.Value, options, logger);
                    owns = true;
                    break;
                }

                // Another live process (a second API, the CLI) started it: share it and leave stopping to that process.
                // A server whose starter is gone (a crashed run) is adopted and stopped with this process.
                owns = !OwnerIsAlive(dataDirectory);
                Log.ReusedRunningServer(logger, dataDirectory, port.Value);
                // A server found running may still be starting, or already stopping (its starter just ended): wait until
                // it accepts connections, or, once it is gone, start one of our own.
                if (WaitUntilAccepting(binaries, dataDirectory, port.Value))
                {
                    break;
                }
            }

            if (owns)
            {
                File.WriteAllText(OwnerFile(dataDirectory), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            }

            var server = new EmbeddedPostgres(binaries, options, dataDirectory, port.Value, owns, logger);
            server.CreateDatabaseIfMissing(options.Database);
            Log.Listening(logger, Loopback, port.Value, dataDirectory, options.Database);
            return server;
        }
        catch (Exception) when (options.DeleteOnStop)
        {
            // A throwaway cluster that failed to come up would otherwise leak a folder (and maybe a server) per attempt.
            StopAndDelete(binaries, dataDirectory, deleteFolder: true, logger);
            if (claimed)
            {
                File.Delete(OwnerFile(dataDirectory));
            }

            throw;
        }
    }

    /// <summary>
    /// Starts the server again on the same folder and port when no postmaster runs there any more (it crashed or was
    /// killed); returns whether it did. PostgreSQL recovers from its write-ahead log on start. A start fails while
    /// backends of the dead postmaster still hold its shared memory; they exit on their own within moments, so the caller
    /// simply tries again. The process that restarted the server owns it from then on and stops it on exit.
    /// </summary>
    public bool RestartIfStopped()
    {
        lock (_restartGate)
        {
            if (Volatile.Read(ref _disposed) != 0 || PostmasterIsAlive(DataDirectory) ||
                Run(_binaries.PgCtl, ["status", "-D", DataDirectory], CommandTimeoutSeconds, asPostgres: true).ExitCode == 0)
            {
                return false;
            }

            Log.Restarting(_logger, DataDirectory, Port);
            StartServer(_binaries, DataDirectory, Port, _options, _logger);
            _ownsServer = true;
            File.WriteAllText(OwnerFile(DataDirectory), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            return true;
        }
    }

    /// <summary>
    /// The cheap check a watchdog makes every few seconds: the process named on line 1 of <c>postmaster.pid</c> still
    /// exists and has not died. False when that cannot be told (no file, no access), and <c>pg_ctl status</c> then decides.
    /// </summary>
    private static bool PostmasterIsAlive(string dataDirectory)
    {
        try
        {
            var pidLine = File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).FirstOrDefault();
            if (!int.TryParse(pidLine, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || !File.Exists($"/proc/{pid}/stat"))
            {
                return false;
            }

            // A killed postmaster nobody has reaped yet still has a /proc entry, in state Z (zombie) or X (dead).
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            var state = close >= 0 && close + 2 < stat.Length ? stat[close + 2] : default;
            return state is not ('Z' or 'X' or default(char));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // A restart in progress finishes first, so that the server it started is stopped too.
        lock (_restartGate)
        {
            if (!_ownsServer)
            {
                return;
            }

            StopAndDelete(_binaries, DataDirectory, _deleteOnStop, _logger);
            File.Delete(OwnerFile(DataDirectory));
        }
    }

    /// <summary>Beside the data folder (PostgreSQL owns the folder itself): the id of the process that stops the server.</summary>
    private static string OwnerFile(string dataDirectory) => dataDirectory.TrimEnd(Path.DirectorySeparatorChar) + ".owner";

    private static bool OwnerIsAlive(string dataDirectory) =>
        ReadPid(OwnerFile(dataDirectory)) is { } owner && owner != Environment.ProcessId && IsAlive(owner);

    /// <summary>
    /// Deletes the throwaway clusters in <paramref name="parent"/> whose folder names start with <paramref name="prefix"/>
    /// and that nobody uses any more: the process named in the <c>.owner</c> file is gone and no server runs in the folder.
    /// A process that ends before its <see cref="Dispose"/> has deleted its folder (a test host ended by its runner) leaves
    /// one behind; a folder still in use by another process is left alone.
    /// </summary>
    public static void DeleteAbandoned(string parent, string prefix, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        foreach (var folder in Directory.EnumerateDirectories(parent, $"{prefix}*"))
        {
            if (ReadPid(OwnerFile(folder)) is { } owner && IsAlive(owner) ||
                ReadPid(Path.Combine(folder, "postmaster.pid")) is { } postmaster && IsAlive(postmaster))
            {
                continue;
            }

            try
            {
                Directory.Delete(folder, recursive: true);
                File.Delete(OwnerFile(folder));
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // Another process sweeping at the same time, or a file in use: the next sweep tries again.
                Log.CouldNotDelete(logger, exception, folder);
            }
        }
    }

    /// <summary>The process id on the first line of a pid file (PostgreSQL's <c>postmaster.pid</c>, our owner file), or null.</summary>
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

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void Validate(EmbeddedPostgresOptions options)
    {
        if (!DatabaseNamePattern().IsMatch(options.Database))
        {
            throw new ArgumentException(
                $"Database name '{options.Database}' must match {DatabaseNamePattern()}.", nameof(options));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConnections, 1, nameof(options));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.DataDirectory, nameof(options));
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex DatabaseNamePattern();

    private static string BuildConnectionString(int port, string database) =>
        new NpgsqlConnectionStringBuilder { Host = Loopback, Port = port, Username = SuperUser, Database = database }
            .ConnectionString;

    /// <summary>Makes sure the folder exists, may become a cluster, and (as root) is owned and reachable by postgres.</summary>
    private static string PrepareDataDirectory(string requested, ILogger logger)
    {
        // Checked before any chown: recursively giving away a folder that is not ours would be destructive.
        ThrowIfForeignContent(requested);
        if (!RunsAsRoot)
        {
            Directory.CreateDirectory(requested);
            return requested;
        }

        var created = !Directory.Exists(requested);
        Directory.CreateDirectory(requested);
        GiveToPostgres(requested);
        if (PostgresCanWrite(requested))
        {
            return requested;
        }

        if (created)
        {
            Directory.Delete(requested);
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(requested)))[..12];
        var fallback = Path.Combine(Path.GetTempPath(), $"ledger-postgres-{hash}");
        Log.UsingFallbackFolder(logger, requested, fallback);
        ThrowIfForeignContent(fallback);
        Directory.CreateDirectory(fallback);
        GiveToPostgres(fallback);
        if (!PostgresCanWrite(fallback))
        {
            throw new PostgresUnavailableException(
                $"The user postgres can reach neither {requested} nor the fallback {fallback}. " +
                "Choose a data folder that postgres can write to.");
        }

        return fallback;
    }

    private static void ThrowIfForeignContent(string directory)
    {
        if (Directory.Exists(directory)
            && !File.Exists(Path.Combine(directory, "PG_VERSION"))
            && Directory.EnumerateFileSystemEntries(directory).Any())
        {
            throw new PostgresUnavailableException(
                $"The data folder {directory} is not empty and is not a PostgreSQL cluster (no PG_VERSION). " +
                "Point the data folder at an empty or missing folder, or at an existing cluster.");
        }
    }

    private static void GiveToPostgres(string directory) =>
        Run("chown", ["-R", $"{SuperUser}:{SuperUser}", directory], CommandTimeoutSeconds, asPostgres: false).ThrowIfFailed();

    private static bool PostgresCanWrite(string directory) =>
        Run("test", ["-w", directory], CommandTimeoutSeconds, asPostgres: true).ExitCode == 0;

    private static void InitialiseClusterIfMissing(PostgresBinaries binaries, string dataDirectory, ILogger logger)
    {
        if (File.Exists(Path.Combine(dataDirectory, "PG_VERSION")))
        {
            return;
        }

        var stopwatch = Stopwatch.StartNew();
        Run(binaries.InitDb, ["-D", dataDirectory, "-A", "trust", "-U", SuperUser, "-E", "UTF8", "--locale=C"],
            InitDbTimeoutSeconds, asPostgres: true).ThrowIfFailed();
        Log.InitialisedCluster(logger, dataDirectory, stopwatch.ElapsedMilliseconds);
    }

    /// <summary>The port of a server already running on this folder (e.g. left by a crashed run), or null.</summary>
    private static int? ReadPortOfRunningServer(PostgresBinaries binaries, string dataDirectory)
    {
        // pg_ctl status exits 0 only when a live postmaster owns the folder; 3 means none runs.
        if (Run(binaries.PgCtl, ["status", "-D", dataDirectory], CommandTimeoutSeconds, asPostgres: true).ExitCode != 0)
        {
            return null;
        }

        // postmaster.pid line 4 is the port.
        var lines = File.ReadAllLines(Path.Combine(dataDirectory, "postmaster.pid"));
        return lines.Length >= 4 && int.TryParse(lines[3], NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            ? port
            : throw new PostgresUnavailableException(
                $"A PostgreSQL server runs on {dataDirectory} but its postmaster.pid names no port. Stop it with " +
                $"`pg_ctl -D {dataDirectory} stop` and try again.");
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static void StartServer(PostgresBinaries binaries, string dataDirectory, int port, EmbeddedPostgresOptions options,
        ILogger logger)
    {
        // PostgreSQL insists on a unix socket folder even though we only use TCP; the temp folder is short and writable.
        var socketDirectory = Path.TrimEndingDirectorySeparator(Path.GetTempPath());
        var serverOptions = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"-p {port} -c listen_addresses={Loopback}")
            .Append(CultureInfo.InvariantCulture, $" -c max_connections={options.MaxConnections}")
            .Append(CultureInfo.InvariantCulture, $" -k {ShellQuote(socketDirectory)}");
        if (!options.Durable)
        {
            serverOptions.Append(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        }

        // The log lives in the data folder: postgres owns it there, and initdb only needs the folder empty at init time.
        var logFile = Path.Combine(dataDirectory, ServerLogFileName);
        var stopwatch = Stopwatch.StartNew();
        var result = Run(binaries.PgCtl,
            ["-D", dataDirectory, "-l", logFile, "-w", "-t", ServerStartWaitSeconds.ToString(CultureInfo.InvariantCulture),
                "-o", serverOptions.ToString(), "start"],
            ServerStartTimeoutSeconds, asPostgres: true);
        if (result.ExitCode != 0)
        {
            throw new PostgresUnavailableException(
                $"{result.Describe()}{Environment.NewLine}Last lines of {logFile}:{Environment.NewLine}{Tail(logFile)}");
        }

        Log.StartedServer(logger, dataDirectory, stopwatch.ElapsedMilliseconds);
    }

    // pg_ctl hands -o to /bin/sh, so a value with spaces or quotes must be quoted for the shell.
    private static string ShellQuote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string Tail(string logFile)
    {
        try
        {
            return string.Join(Environment.NewLine, File.ReadLines(logFile).TakeLast(ServerLogTailLines));
        }
        catch (IOException exception)
        {
            return $"(cannot read it: {exception.Message})";
        }
    }

    /// <summary>
    /// Waits until the server on <paramref name="port"/> accepts a connection (true), or until no server runs in the folder
    /// any more (false). A server that neither serves nor stops within the command time limit is an error.
    /// </summary>
    private static bool WaitUntilAccepting(PostgresBinaries binaries, string dataDirectory, int port)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(BuildConnectionString(port, SuperUser)) { Pooling = false, Timeout = 5 }
            .ConnectionString;
        var deadline = DateTime.UtcNow.AddSeconds(CommandTimeoutSeconds);
        while (true)
        {
            try
            {
                using var connection = new NpgsqlConnection(connectionString);
                connection.Open();
                return true;
            }
            catch (Exception exception) when (exception is NpgsqlException { InnerException: System.Net.Sockets.SocketException } or
                                                  PostgresException { SqlState: PostgresErrorCodes.CannotConnectNow })
            {
                if (ReadPortOfRunningServer(binaries, dataDirectory) is null)
                {
                    return false;
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new PostgresUnavailableException(
                        $"A PostgreSQL server runs on {dataDirectory} (port {port}) but has not accepted a connection for " +
                        $"{CommandTimeoutSeconds} s: {exception.Message}", exception);
                }

                Thread.Sleep(100);
            }
        }
    }

    private void CreateDatabaseIfMissing(string database)
    {
        // No pooling: provisioning should leave no idle session behind in the maintenance database.
        var builder = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Pooling = false };
        using var connection = new NpgsqlConnection(builder.ConnectionString);
        connection.Open();
        using var exists = new NpgsqlCommand("select 1 from pg_database where datname = $1", connection);
        exists.Parameters.Add(new NpgsqlParameter { Value = database });
        if (exists.ExecuteScalar() is not null)
        {
            return;
        }

        // Identifiers cannot be parameters; the name was validated against a strict pattern and is quoted anyway.
        using var create = new NpgsqlCommand($"CREATE DATABASE \"{database.Replace("\"", "\"\"", StringComparison.Ordinal)}\"",
            connection);
        try
        {
            create.ExecuteNonQuery();
            Log.CreatedDatabase(_logger, database);
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            // Another process sharing this server created it between our check and our create; that is the goal anyway.
        }
    }

    // Stopping runs from Dispose and from failed starts, which must not throw (or hide the first error); failures are logged.
    private static void StopAndDelete(PostgresBinaries binaries, string dataDirectory, bool deleteFolder, ILogger logger)
    {
        try
        {
            if (File.Exists(Path.Combine(dataDirectory, "postmaster.pid")))
            {
                Run(binaries.PgCtl, ["-D", dataDirectory, "-m", "fast", "-w", "stop"], CommandTimeoutSeconds, asPostgres: true)
                    .ThrowIfFailed();
                Log.StoppedServer(logger, dataDirectory);
            }
        }
        catch (Exception exception)
        {
            Log.CouldNotStop(logger, exception, dataDirectory);
        }

        if (!deleteFolder)
        {
            return;
        }

        try
        {
            if (Directory.Exists(dataDirectory))
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
        }
        catch (Exception exception)
        {
            Log.CouldNotDelete(logger, exception, dataDirectory);
        }
    }

    /// <summary>Runs a command without a shell, as the user postgres when we are root and <paramref name="asPostgres"/>.</summary>
    private static ProcessResult Run(string fileName, IReadOnlyList<string> arguments, int timeoutSeconds, bool asPostgres)
    {
        var startInfo = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // The caller's directory may be unreadable for postgres (e.g. /root), which makes pg_ctl and initdb fail.
            WorkingDirectory = "/",
        };
        if (asPostgres && RunsAsRoot)
        {
            startInfo.FileName = "runuser";
            foreach (var prefix in (string[])["-u", SuperUser, "--", fileName])
            {
                startInfo.ArgumentList.Add(prefix);
            }
        }
        else
        {
            startInfo.FileName = fileName;
        }

        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        // Only for messages: quoting arguments with spaces shows where each one ends.
        var commandLine = string.Join(' ', startInfo.ArgumentList.Prepend(startInfo.FileName)
            .Select(argument => argument.Contains(' ', StringComparison.Ordinal) ? $"\"{argument}\"" : argument));
        return Execute(startInfo, commandLine, timeoutSeconds);
    }

    private static ProcessResult Execute(ProcessStartInfo startInfo, string commandLine, int timeoutSeconds)
    {
        Process? process;
        try
        {
            process = Process.Start(startInfo);
        }
        catch (Win32Exception exception)
        {
            throw new PostgresUnavailableException($"Cannot run `{commandLine}`: {exception.Message}", exception);
        }

        using (process)
        {
            if (process is null)
            {
                throw new PostgresUnavailableException($"Cannot run `{commandLine}`: no process was started.");
            }

            var standardOutput = process.StandardOutput.ReadToEndAsync();
            var standardError = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds)))
            {
                process.Kill(entireProcessTree: true);
                throw new PostgresUnavailableException(
                    $"`{commandLine}` did not finish within {timeoutSeconds} s and was killed.");
            }

            // A started server must not keep our pipes open (pg_ctl -l redirects it), but never wait on them for long.
            Task.WaitAll([standardOutput, standardError], TimeSpan.FromSeconds(5));
            return new ProcessResult(commandLine, process.ExitCode,
                standardOutput.IsCompletedSuccessfully ? standardOutput.Result : "",
                standardError.IsCompletedSuccessfully ? standardError.Result : "");
        }
    }

    private sealed record ProcessResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError)
    {
        public string Describe() =>
            $"`{CommandLine}` exited with code {ExitCode}.{Environment.NewLine}{StandardError.Trim()}" +
            (StandardOutput.Length > 0 ? $"{Environment.NewLine}{StandardOutput.Trim()}" : "");

        public void ThrowIfFailed()
        {
            if (ExitCode != 0)
            {
                throw new PostgresUnavailableException(Describe());
            }
        }
    }

    private sealed record PostgresBinaries(string InitDb, string PgCtl)
    {
        private const string PackagedRoot = "/usr/lib/postgresql";

        public static PostgresBinaries Discover(string? binDirectory)
        {
            if (binDirectory is not null)
            {
                var directory = Path.GetFullPath(binDirectory);
                return HasServerBinaries(directory)
                    ? FromDirectory(directory)
                    : throw new PostgresUnavailableException(
                        $"Postgres:BinDirectory {directory} does not contain initdb, pg_ctl and postgres. Point it at the " +
                        "folder that does (e.g. /usr/lib/postgresql/15/bin), leave it unset to discover the Debian package " +
                        "`postgresql` (apt-get install -y postgresql), or set ConnectionStrings:Ledger to use an existing server.");
            }

            var packaged = Directory.Exists(PackagedRoot)
                ? Directory.EnumerateDirectories(PackagedRoot)
                    .Select(major => (Version: ParseMajor(Path.GetFileName(major)), Bin: Path.Combine(major, "bin")))
                    .Where(candidate => candidate.Version is not null && HasServerBinaries(candidate.Bin))
                    .OrderByDescending(candidate => candidate.Version)
                    .Select(candidate => candidate.Bin)
                    .FirstOrDefault()
                : null;
            if (packaged is not null)
            {
                return FromDirectory(packaged);
            }

            var initDb = FindOnPath("initdb");
            var pgCtl = FindOnPath("pg_ctl");
            return initDb is not null && pgCtl is not null
                ? new PostgresBinaries(initDb, pgCtl)
                : throw new PostgresUnavailableException(
                    "No PostgreSQL server binaries found (looked for initdb, pg_ctl and postgres in " +
                    $"{PackagedRoot}/<major>/bin and for initdb and pg_ctl on PATH). Install the Debian package `postgresql` " +
                    "(e.g. `apt-get install -y postgresql`), or point `ConnectionStrings:Ledger` at an existing server, " +
                    "or set `Postgres:BinDirectory` to the folder holding initdb, pg_ctl and postgres.");
        }

        private static PostgresBinaries FromDirectory(string directory) =>
            new(Path.Combine(directory, "initdb"), Path.Combine(directory, "pg_ctl"));

        private static bool HasServerBinaries(string directory) =>
            File.Exists(Path.Combine(directory, "initdb"))
            && File.Exists(Path.Combine(directory, "pg_ctl"))
            && File.Exists(Path.Combine(directory, "postgres"));

        // Debian names folders by major version: "15" today, "9.6" on old releases.
        private static Version? ParseMajor(string name) =>
            Version.TryParse(name.Contains('.', StringComparison.Ordinal) ? name : name + ".0", out var version)
                ? version
                : null;

        private static string? FindOnPath(string name)
        {
            var candidates = (Environment.GetEnvironmentVariable("PATH") ?? "")
                .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Select(directory => Path.Combine(directory, name));
            var found = candidates.FirstOrDefault(File.Exists);
            // Symlinks (e.g. /usr/local/bin/pg_ctl) are resolved so that the real bin folder is visible in commands and logs.
            return found is null ? null : new FileInfo(found).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? found;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(LogLevel.Information, "PostgreSQL listens on {Host}:{Port}, data folder {DataDirectory}, database {Database}")]
        public static partial void Listening(ILogger logger, string host, int port, string dataDirectory, string database);

        [LoggerMessage(LogLevel.Information, "Reused the PostgreSQL server already running on {DataDirectory} (port {Port})")]
        public static partial void ReusedRunningServer(ILogger logger, string dataDirectory, int port);

        [LoggerMessage(LogLevel.Warning,
            "The user postgres cannot reach {Requested} (a parent folder is not traversable, e.g. a mode-700 home); " +
            "using {Fallback} instead, which stays the same for that path")]
        public static partial void UsingFallbackFolder(ILogger logger, string requested, string fallback);

        [LoggerMessage(LogLevel.Information, "Initialised a PostgreSQL cluster in {DataDirectory} in {ElapsedMs} ms")]
        public static partial void InitialisedCluster(ILogger logger, string dataDirectory, long elapsedMs);

        [LoggerMessage(LogLevel.Information, "Started PostgreSQL on {DataDirectory} in {ElapsedMs} ms")]
        public static partial void StartedServer(ILogger logger, string dataDirectory, long elapsedMs);

        [LoggerMessage(LogLevel.Information, "Created database {Database}")]
        public static partial void CreatedDatabase(ILogger logger, string database);

        [LoggerMessage(LogLevel.Warning, "No PostgreSQL server runs on {DataDirectory} any more; starting it again on port {Port}")]
        public static partial void Restarting(ILogger logger, string dataDirectory, int port);

        [LoggerMessage(LogLevel.Information, "Stopped PostgreSQL on {DataDirectory}")]
        public static partial void StoppedServer(ILogger logger, string dataDirectory);

        [LoggerMessage(LogLevel.Error, "Could not stop PostgreSQL on {DataDirectory}")]
        public static partial void CouldNotStop(ILogger logger, Exception exception, string dataDirectory);

        [LoggerMessage(LogLevel.Error, "Could not delete the PostgreSQL data folder {DataDirectory}")]
        public static partial void CouldNotDelete(ILogger logger, Exception exception, string dataDirectory);
    }
}
