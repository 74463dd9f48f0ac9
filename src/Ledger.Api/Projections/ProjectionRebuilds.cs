using System.Collections.Concurrent;
using Ledger.EventStore.Projections;
using Npgsql;

namespace Ledger.Api.Projections;

/// <summary>
/// Starts rebuilds requested over HTTP and runs them in the background, one per projection at a time in this process;
/// the projection's PostgreSQL lock keeps other processes (the CLI) out as well. Progress is in the rebuild journal.
/// </summary>
public sealed partial class ProjectionRebuilds(
    NpgsqlDataSource dataSource,
    ProjectionRebuilder rebuilder,
    RebuildJournal journal,
    IHostApplicationLifetime lifetime,
    ILogger<ProjectionRebuilds> logger)
{
    private readonly ConcurrentDictionary<string, Guid> _running = new(StringComparer.Ordinal);

    /// <summary>The new rebuild as it starts, or null when the projection is already being rebuilt or verified.</summary>
    public async Task<RebuildRecord?> TryStartAsync(ReplayProjection projection, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(projection);
        var id = Guid.CreateVersion7();
        if (!_running.TryAdd(projection.Name, id))
        {
            return null;
        }

        RebuildRecord? started;
        try
        {
            await using (var connection = await dataSource.OpenConnectionAsync(cancellation))
            {
                if (await ProjectionLock.IsHeldAsync(connection, projection.Name, cancellation))
                {
                    _running.TryRemove(projection.Name, out _);
                    return null;
                }
            }

            // The row exists before the response, so the Location answers at once.
            await journal.StartAsync(id, projection.Name, RebuildKind.Rebuild, cancellation);
            started = await journal.FindAsync(id, cancellation)
                      ?? throw new InvalidOperationException($"Rebuild {id} was started but has no journal row.");
        }
        catch
        {
            _running.TryRemove(projection.Name, out _);
            throw;
        }

        _ = Task.Run(() => RunAsync(id, projection), CancellationToken.None);
        return started;
    }

    private async Task RunAsync(Guid id, ReplayProjection projection)
    {
        try
        {
            var outcome = await rebuilder.RunAsync(id, projection, RebuildKind.Rebuild, progress: null, lifetime.ApplicationStopping);
            LogRebuilt(projection.Name, outcome.Events, outcome.EventsPerSecond);
        }
        catch (ProjectionBusyException busy)
        {
            // Another process took the lock between the check and the run.
            await journal.FinishAsync(id, RebuildState.Failed, progress: null, differences: null, busy.Message);
        }
        catch (OperationCanceledException)
        {
            LogCancelled(projection.Name);
        }
        catch (Exception failure) when (failure is not OperationCanceledException)
        {
            LogFailed(failure, projection.Name);
        }
        finally
        {
            _running.TryRemove(projection.Name, out _);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Projection {Projection} rebuilt from {Events} events at {EventsPerSecond:F0} events/s")]
    private partial void LogRebuilt(string projection, long events, double eventsPerSecond);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rebuild of projection {Projection} cancelled by shutdown; the previous model is unchanged")]
    private partial void LogCancelled(string projection);

    [LoggerMessage(Level = LogLevel.Error, Message = "Rebuild of projection {Projection} failed; the previous model is unchanged")]
    private partial void LogFailed(Exception failure, string projection);
}
