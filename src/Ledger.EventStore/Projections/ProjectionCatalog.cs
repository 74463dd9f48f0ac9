using JasperFx.Events.Projections;
using Ledger.EventStore.Accounts;
using Ledger.EventStore.Audit;
using Ledger.EventStore.Reports;
using Npgsql;

namespace Ledger.EventStore.Projections;

/// <summary>Where a projection stands, as <c>ledger projections list</c> and <c>GET /api/v1/projections</c> show it.</summary>
public sealed record ProjectionStatus(
    string Name,
    string Lifecycle,
    long LastProcessedSequence,
    long HighWaterMark,
    long Lag,
    string Status,
    string Description);

/// <summary>
/// Every read model the ledger keeps, by the name analysts use. A read model is one <see cref="ReplayProjection"/> and one
/// line in <see cref="Ledger"/> (ADR-013): the store's configuration, listing, rebuild, verification and the async runner
/// all read the catalogue a host is given, never a list of their own.
/// </summary>
public sealed class ProjectionCatalog
{
    /// <summary>The ledger's read models: what the API, the workers and the CLI serve.</summary>
    public static ProjectionCatalog Ledger { get; } = new(
    [
        new AccountProjection(),
        new AccountEntriesProjection(),
        new DailyVolumesProjection(),
        new AccountActivityProjection(),
    ]);

    public ProjectionCatalog(IReadOnlyList<ReplayProjection> all)
    {
        ArgumentNullException.ThrowIfNull(all);
        var duplicate = all.GroupBy(p => p.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1)
                        ?? all.GroupBy(p => p.Table, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"Two read models share '{duplicate.Key}': every name and table must be unique.", nameof(all));
        }

        All = all;
    }

    public IReadOnlyList<ReplayProjection> All { get; }

    public IEnumerable<ReplayProjection> Async => All.Where(p => p.Lifecycle == ProjectionLifecycle.Async);

    public string Names => string.Join(", ", All.Select(p => p.Name));

    /// <summary>This catalogue with one more read model.</summary>
    public ProjectionCatalog With(ReplayProjection readModel) => new([.. All, readModel]);

    public ReplayProjection? Find(string name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Inline projections are written in the append's own transaction, so they always stand at the committed head;
    /// async ones stand at their position, and their lag counts the committed events after it (<see cref="EventStoreHead"/>).
    /// </summary>
    public async Task<IReadOnlyList<ProjectionStatus>> StatusAsync(NpgsqlDataSource dataSource, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var connection = await dataSource.OpenConnectionAsync(cancellation);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellation);
        var highWaterMark = await EventStoreHead.ReadAsync(connection, cancellation);
        var statuses = new List<ProjectionStatus>();
        foreach (var projection in All)
        {
            var rebuilding = await ProjectionLock.IsHeldAsync(connection, projection.Name, cancellation);
            var isAsync = projection.Lifecycle == ProjectionLifecycle.Async;
            var last = isAsync ? await AsyncProjectionRunner.PositionAsync(connection, projection.Name, cancellation) : highWaterMark;
            var lag = isAsync ? await EventStoreHead.LagAsync(connection, last, cancellation) : 0;
            var status = rebuilding ? "rebuilding" : lag == 0 ? "current" : "catching-up";
            statuses.Add(new ProjectionStatus(projection.Name, isAsync ? "async" : "inline", last, highWaterMark, lag, status,
                projection.Description));
        }

        return statuses;
    }
}
