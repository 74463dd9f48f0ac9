using JasperFx.Events.Projections;
using Npgsql;

namespace Ledger.EventStore.Projections;

/// <summary>
/// The one definition of a read model (ADR-013): name, table and keys, the fold, and what the store needs to keep it live.
/// Every read model writes one table in <see cref="LedgerStore.Schema"/>; its live writer (a Marten inline projection
/// declared in <see cref="Configure"/>, or <see cref="AsyncProjectionRunner"/> through <see cref="CreateBuilder"/>) and its
/// replay (<see cref="ProjectionRebuilder"/>) share the same fold, so a rebuild is the live model.
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
    /// Declares to the store what keeps this model live: its table (a schema object, unless it is a Marten document) and,
    /// for an inline model, the Marten projection that writes it in the append's transaction. Async models need only
    /// their table: <see cref="AsyncProjectionRunner"/> keeps them.
    /// </summary>
    public abstract void Configure(Marten.StoreOptions options);

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
