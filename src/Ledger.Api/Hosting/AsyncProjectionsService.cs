using Ledger.EventStore.Projections;

namespace Ledger.Api.Hosting;

/// <summary>
/// Runs the async projections (the reports): applies batches back to back while a batch comes back full (a backlog),
/// otherwise every <see cref="PollInterval"/>, so that under a steady stream of commands each pass applies what a quarter
/// of a second brought instead of a transaction per handful of events. A failure is logged and retried with a growing
/// pause; the position only moves with the batch's own transaction, so nothing is applied twice or skipped.
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
                var behind = false;
                foreach (var projection in catalog.Async)
                {
                    behind |= await runner.RunOnceAsync(projection, stoppingToken) == AsyncProjectionRunner.BatchEventsMax;
                }

                pause = PollInterval;
                if (behind)
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
