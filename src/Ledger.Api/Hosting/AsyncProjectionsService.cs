using Ledger.EventStore.Projections;

namespace Ledger.Api.Hosting;

/// <summary>
/// Runs the async projections (the reports): applies batches while there are events to apply, then polls. A failure is
/// logged and retried with a growing pause; the position only moves with the batch's own transaction, so nothing is
/// applied twice or skipped.
/// </summary>
public sealed partial class AsyncProjectionsService(ProjectionCatalog catalog, AsyncProjectionRunner runner, ILogger<AsyncProjectionsService> logger) : BackgroundService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan FailurePauseMax = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pause = PollInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var applied = 0;
                foreach (var projection in catalog.Async)
                {
                    applied += await runner.RunOnceAsync(projection, stoppingToken);
                }

                pause = PollInterval;
                if (applied > 0)
                {
                    continue;
                }
            }
            // Whatever fails (the database, or an event a report cannot take), the API keeps serving and the report waits.
            catch (Exception failure) when (failure is not OperationCanceledException)
            {
                LogFailed(failure, pause);
                pause = TimeSpan.FromTicks(Math.Min(FailurePauseMax.Ticks, pause.Ticks * 2));
            }

            try
            {
                await Task.Delay(pause, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Async projections failed; retrying in {Pause}")]
    private partial void LogFailed(Exception failure, TimeSpan pause);
}
