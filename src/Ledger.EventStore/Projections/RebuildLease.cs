using Npgsql;

namespace Ledger.EventStore.Projections;

/// <summary>
/// A run that has taken its projection's lock and is journaled as running; the lock's session is the run's life sign
/// (a run whose lock session is gone shows as abandoned). Disposing releases the lock and its connection.
/// </summary>
public sealed class RebuildLease : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly ProjectionLock _held;

    internal RebuildLease(Guid id, ReplayProjection projection, RebuildKind kind, NpgsqlConnection connection, ProjectionLock held) =>
        (Id, Projection, Kind, _connection, _held) = (id, projection, kind, connection, held);

    public Guid Id { get; }

    public ReplayProjection Projection { get; }

    public RebuildKind Kind { get; }

    public async ValueTask DisposeAsync()
    {
        await _held.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
