using Ledger.EventStore.Leadership;

namespace Ledger.Api.Hosting;

/// <summary>
/// Work that one node does at a time among the nodes on one database (ADR-021): the node holding <see cref="Role"/>'s
/// lease runs <see cref="RunWhileLeadingAsync"/>; the others try to take the role every <see cref="LeaderRole.PollingTime"/>.
/// Losing the lease's connection cancels the work in flight and the node stands by. The work must still fence its own
/// effects (a row lock, a state check under the account lock): two nodes may briefly both believe they lead.
/// </summary>
public abstract partial class LeaderService(NodeLeadership leadership, ILogger logger) : BackgroundService
{
    protected abstract LeaderRole Role { get; }

    /// <summary>Runs until <paramref name="leading"/> is cancelled (the host stops, or the role is lost).</summary>
    protected abstract Task RunWhileLeadingAsync(CancellationToken leading);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lease = leadership.LeaseFor(Role);
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
                    LogLeaseFailed(logger, failure, Role.Name);
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
                LogLeaseFailed(logger, failure, Role.Name);
            }
        }
    }

    /// <summary>Waits <paramref name="pause"/>; false when the host stops meanwhile.</summary>
    protected static async Task<bool> PauseAsync(TimeSpan pause, CancellationToken stoppingToken)
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

    private async Task LeadAsync(LeaderLease.Lease held, CancellationToken stoppingToken)
    {
        await using (held)
        {
            using var leading = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, held.Lost);
            leadership.Took(Role);
            LogLeading(logger, Role.Name);
            try
            {
                await RunWhileLeadingAsync(leading.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
            }
            finally
            {
                leadership.Left(Role);
            }

            if (!stoppingToken.IsCancellationRequested)
            {
                LogLost(logger, Role.Name);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "This node now plays the role '{Role}'")]
    private static partial void LogLeading(ILogger logger, string role);

    [LoggerMessage(Level = LogLevel.Warning, Message = "This node lost the role '{Role}' (its lock's connection is gone); its work stopped here")]
    private static partial void LogLost(ILogger logger, string role);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not take or give up the role '{Role}'; trying again shortly")]
    private static partial void LogLeaseFailed(ILogger logger, Exception failure, string role);
}
