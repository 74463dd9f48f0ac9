namespace Ledger.EventStore.Projections;

public enum RebuildKind
{
    Rebuild,
    Verify,
}

public enum RebuildState
{
    Running,
    Succeeded,
    Failed,
    Cancelled,

    /// <summary>Journaled as running, but the session holding its lock is gone: its process died and it will never finish.</summary>
    Abandoned,
}

/// <summary>Where a rebuild or verification is: the replay, index building, catching up and switching, comparing.</summary>
public enum RebuildPhase
{
    Replaying,
    Indexing,
    CatchingUp,
    Switching,
    Comparing,
}

/// <summary>Where a run stands; watchers (the CLI's bar, the journal) derive rates and estimates from it.</summary>
public sealed record RebuildProgress(RebuildPhase Phase, long EventsDone, long EventsTotal, TimeSpan Elapsed)
{
    public double EventsPerSecond => Elapsed.TotalSeconds > 0 ? EventsDone / Elapsed.TotalSeconds : 0;
}

/// <summary>
/// The result of a finished run. <see cref="Sequence"/> is the last event sequence the model now reflects;
/// <see cref="Differences"/> and <see cref="DifferingIds"/> are set by a verification only.
/// </summary>
public sealed record RebuildOutcome(
    Guid Id,
    string Projection,
    RebuildKind Kind,
    long Events,
    TimeSpan Elapsed,
    double EventsPerSecond,
    long Sequence,
    long? Differences,
    IReadOnlyList<string> DifferingIds)
{
    public bool Identical => Differences is null or 0;
}

/// <summary>Another rebuild or verification of the same projection is running (in this process or another).</summary>
public sealed class ProjectionBusyException(string projection)
    : Exception($"Projection {projection} is already being rebuilt or verified; wait for that run to finish.")
{
    public string Projection { get; } = projection;
}

/// <summary>A rebuild refused to switch because the new model contradicts the stored one in a way it must not hide.</summary>
public sealed class ProjectionConflictException(string message) : Exception(message);
