using Ledger.EventStore.Leadership;
using Ledger.EventStore.Projections;

namespace Ledger.Api.Hosting;

/// <summary>
/// Runs the async projections (the reports) on the one node that holds <see cref="LeaderRole.Reports"/> (ADR-021). While it
/// leads, it applies batches back to back while a batch comes back full (a backlog), otherwise every
/// <see cref="PollInterval"/>, so that under a steady stream of commands each pass applies what a quarter of a second
/// brought instead of a transaction per handful of events. A failure is logged and retried with a growing pause. Each
/// batch moves the projection's position under a row lock in its own transaction, so even two nodes that both believed
/// they led could neither apply a batch twice nor skip one.
/// </summary>
public sealed partial class AsyncProjectionsService(ProjectionCatalog catalog, AsyncProjectionRunner runner, NodeLeadership leadership,
    ILogger<AsyncProjectionsService> logger) : LeaderService(leadership, logger)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan FailurePauseMax = TimeSpan.FromSeconds(30);

    protected override LeaderRole Role => LeaderRole.Reports;

    protected override async Task RunWhileLeadingAsync(CancellationToken leading)
    {
        var pause = PollInterval;
        while (!leading.IsCancellationRequested)
        {
            try
            {
                var behind = false;
                foreach (var projection in catalog.Async)
                {
                    behind |= await runner.RunOnceAsync(projection, leading) == AsyncProjectionRunner.BatchEventsMax;
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

            await Task.Delay(pause, leading);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Async projections failed; retrying in {Pause}")]
    private partial void LogFailed(Exception failure, TimeSpan pause);
}
