using System.Collections.Concurrent;
using Ledger.EventStore.Projections;

namespace Ledger.Api.Projections;

/// <summary>
/// Starts rebuilds requested over HTTP and runs them in the background, one per projection at a time in this process;
/// the projection's PostgreSQL lock keeps other processes (the CLI) out as well. Progress is in the rebuild journal.
/// </summary>
public sealed partial class ProjectionRebuilds(
    ProjectionRebuilder rebuilder,
    RebuildJournal journal,
    IHostApplicationLifetime lifetime,
    ILogger<ProjectionRebuilds> logger)
{
    private readonly ConcurrentDictionary<string, Guid> _running = new(StringComparer.Ordinal);

    /// <summary>The new rebuild as it starts, or null when the projection is already being rebuilt or verified.</summary>
    public async Task<RebuildRecord?> TryStartAsync(ReplayProjection projection, string startedBy, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(projection);
        var id = Guid.CreateVersion7();
        if (!_running.TryAdd(projection.Name, id))
        {
            return null;
        }

        RebuildLease? lease;
        try
        {
            // The lock is taken before the run is journaled, so the journal never shows this run without its lock.
            lease = await rebuilder.TryBeginAsync(id, projection, RebuildKind.Rebuild, startedBy, cancellation);
        }
        catch
        {
            _running.TryRemove(projection.Name, out _);
            throw;
        }

        if (lease is null)
        {
            _running.TryRemove(projection.Name, out _);
            return null;
        }

        // Read before the run starts: a small projection can finish before a read after it, and the answer is the run as it starts.
        RebuildRecord started;
        try
        {
            started = await journal.FindAsync(id, CancellationToken.None)
                      ?? throw new InvalidOperationException($"Rebuild {id} was started but has no journal row.");
        }
        catch
        {
            await lease.DisposeAsync();
            _running.TryRemove(projection.Name, out _);
            throw;
        }

        // The background run owns the lease from here and releases it however it ends.
        _ = Task.Run(() => RunAsync(lease), CancellationToken.None);
        return started;
    }

    private async Task RunAsync(RebuildLease lease)
    {
        var name = lease.Projection.Name;
        try
        {
            var outcome = await rebuilder.RunAsync(lease, progress: null, lifetime.ApplicationStopping);
            LogRebuilt(name, outcome.Events, outcome.EventsPerSecond);
        }
        catch (OperationCanceledException)
        {
            LogCancelled(name);
        }
        catch (Exception failure) when (failure is not OperationCanceledException)
        {
            LogFailed(failure, name);
        }
        finally
        {
            _running.TryRemove(name, out _);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Projection {Projection} rebuilt from {Events} events at {EventsPerSecond:F0} events/s")]
    private partial void LogRebuilt(string projection, long events, double eventsPerSecond);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rebuild of projection {Projection} cancelled by shutdown; the previous model is unchanged")]
    private partial void LogCancelled(string projection);

    [LoggerMessage(Level = LogLevel.Error, Message = "Rebuild of projection {Projection} failed; the previous model is unchanged")]
    private partial void LogFailed(Exception failure, string projection);
}
