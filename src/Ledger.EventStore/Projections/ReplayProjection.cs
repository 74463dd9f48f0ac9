using JasperFx.Events.Projections;
using Npgsql;

namespace Ledger.EventStore.Projections;

/// <summary>
/// A read model that can be rebuilt by replaying the event store into a shadow table and switched in when complete.
/// Every projection writes one table in <see cref="LedgerStore.Schema"/>; the live writer (Marten inline projection or
/// <see cref="AsyncProjectionRunner"/>) and the replay share the same builder code, so a rebuild is the live model.
/// </summary>
public abstract class ReplayProjection
{
    /// <summary>The name analysts type: lower case, words joined by hyphens.</summary>
    public abstract string Name { get; }

    public abstract string Description { get; }

    public abstract ProjectionLifecycle Lifecycle { get; }

    /// <summary>The live table, unqualified, in <see cref="LedgerStore.Schema"/>.</summary>
    public abstract string Table { get; }

    /// <summary>The columns that identify a row; the differing ids a verification prints are made of these.</summary>
    public abstract IReadOnlyList<string> KeyColumns { get; }

    /// <summary>The columns a verification compares; store bookkeeping (modified times, revisions) is left out.</summary>
    public abstract IReadOnlyList<string> ComparedColumns { get; }

    public abstract IProjectionBuilder CreateBuilder(ReplayContext context);

    /// <summary>
    /// Runs inside the switch's transaction, after the shadow holds everything and before it replaces the live table;
    /// throwing leaves the live table as it was.
    /// </summary>
    public virtual Task CheckBeforeSwitchAsync(NpgsqlConnection connection, string liveTable, string shadowTable,
        CancellationToken cancellation) => Task.CompletedTask;
}

/// <summary>Folds events in memory and writes the result to a table. Events arrive in version order per stream.</summary>
public interface IProjectionBuilder
{
    void Apply(ReplayEvent e);

    /// <summary>Writes what may be written early (row-per-event models) to keep memory bounded; may do nothing.</summary>
    Task FlushAsync(NpgsqlConnection connection, string qualifiedTable, CancellationToken cancellation);

    /// <summary>Makes the table hold exactly the fold of every event applied so far. May be called again after more events.</summary>
    Task CompleteAsync(NpgsqlConnection connection, string qualifiedTable, CancellationToken cancellation);
}

/// <summary>A builder for a summing model, whose batch of events can be added onto the live rows (async projections).</summary>
public interface IMergingProjectionBuilder : IProjectionBuilder
{
    Task MergeAsync(NpgsqlConnection connection, string qualifiedTable, CancellationToken cancellation);
}

/// <summary>What builders may use besides events: the store's serializer, for models stored as Marten documents.</summary>
public sealed record ReplayContext(Marten.ISerializer Serializer);
