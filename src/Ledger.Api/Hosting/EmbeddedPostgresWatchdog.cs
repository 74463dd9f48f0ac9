using Ledger.Development.Postgres;
using Npgsql;

namespace Ledger.Api.Hosting;

/// <summary>
/// Development mode only (the embedded PostgreSQL): checks every <see cref="Interval"/> that the server still runs and
/// starts it again on the same folder and port when it does not. Meanwhile requests are answered
/// <c>503 /problems/database-unavailable</c>. With a configured server, restarting is the operator's job (docs/operations.md).
/// </summary>
public sealed partial class EmbeddedPostgresWatchdog(EmbeddedPostgres server, NpgsqlDataSource dataSource,
    ILogger<EmbeddedPostgresWatchdog> logger, TimeProvider clock) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                // pg_ctl runs as a child process and blocks while the server starts; keep it off the request threads.
                if (await Task.Run(server.RestartIfStopped, stoppingToken))
                {
                    // Pooled connections to the dead server would each fail once more; drop them now.
                    NpgsqlConnection.ClearAllPools();
                    dataSource.Clear();
                    Log.Restarted(logger, server.DataDirectory);
                }
            }
            catch (PostgresUnavailableException exception)
            {
                Log.RestartFailed(logger, exception.Message, Interval.TotalSeconds);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(LogLevel.Warning, "PostgreSQL on {DataDirectory} was restarted; the ledger serves again")]
        public static partial void Restarted(ILogger logger, string dataDirectory);

        [LoggerMessage(LogLevel.Warning, "Restarting PostgreSQL failed, trying again in {IntervalSeconds} s: {Reason}")]
        public static partial void RestartFailed(ILogger logger, string reason, double intervalSeconds);
    }
}
