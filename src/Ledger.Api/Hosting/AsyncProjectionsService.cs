using Ledger.EventStore.Leadership;
using Ledger.EventStore.Projections;

namespace Ledger.Api.Hosting;

/// <summary>
/// Runs the async projections (the reports) on the one node that holds <see cref="LeaderRole.Reports"/> (ADR-019); the
/// others try to take the role every <see cref="LeaderRole.PollingTime"/>. While it leads, it applies batches back to
/// back while a batch comes back full (a backlog), otherwise every <see cref="PollInterval"/>, so that under a steady
/// stream of commands each pass applies what a quarter of a second brought instead of a transaction per handful of events.
/// A failure is logged and retried with a growing pause. Losing the role's connection cancels the batch in flight; and
/// each batch moves the projection's position under a row lock in its own transaction, so even two nodes that both
/// believed they led could neither apply a batch twice nor skip one.
/// </summary>
public sealed partial class AsyncProjectionsService(ProjectionCatalog catalog, AsyncProjectionRunner runner, NodeLeadership leadership,
    ILogger<AsyncProjectionsService> logger) : BackgroundService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan FailurePauseMax = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lease = leadership.LeaseFor(LeaderRole.Reports);
        // While the database is away every attempt fails; the first failure of a spell is logged, not one a second.
        var failing = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            LeaderLease.Lease? held = null;
            try
            {
                held = await lease.TryAcquireAsync(stoppingToken);
                failing = false;
            }
            catch (Exception failure) when (failure is not OperationCanceledException)
            {
                if (!failing)
                {
                    LogLeaseFailed(failure);
                }

                failing = true;
            }

            if (held is null)
            {
                if (!await PauseAsync(LeaderRole.PollingTime, stoppingToken))
                {
                    return;
                }

                continue;
            }

            try
            {
                await LeadAsync(held, stoppingToken);
            }
            // Giving a lost role up can fail on its dead connection; the node stands by and tries again.
            catch (Exception failure) when (failure is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogLeaseFailed(failure);
            }
        }
    }

    private async Task LeadAsync(LeaderLease.Lease held, CancellationToken stoppingToken)
    {
        await using (held)
        {
            using var leading = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, held.Lost);
            leadership.Took(LeaderRole.Reports);
            LogLeading();
            try
            {
                await RunWhileLeadingAsync(leading.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
            }
            finally
            {
                leadership.Left(LeaderRole.Reports);
            }

            if (!stoppingToken.IsCancellationRequested)
            {
                LogLost();
            }
        }
    }

    private async Task RunWhileLeadingAsync(CancellationToken leading)
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

    private static async Task<bool> PauseAsync(TimeSpan pause, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(pause, stoppingToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Async projections failed; retrying in {Pause}")]
    private partial void LogFailed(Exception failure, TimeSpan pause);

    [LoggerMessage(Level = LogLevel.Information, Message = "This node now runs the async projections (role 'reports')")]
    private partial void LogLeading();

    [LoggerMessage(Level = LogLevel.Warning, Message = "This node lost the role 'reports' (its lock's connection is gone); the async projections stopped here")]
    private partial void LogLost();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not take or give up the role 'reports'; trying again shortly")]
    private partial void LogLeaseFailed(Exception failure);
}
