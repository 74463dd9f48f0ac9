using Medallion.Threading.Postgres;
using Npgsql;

namespace Ledger.EventStore.Leadership;

/// <summary>
/// A role that one node plays at a time among every process on the database (ADR-019): a PostgreSQL session advisory lock
/// held on a connection of its own for as long as the node plays it. The lock is monitored, so a lost connection (the
/// server restarted, the backend was terminated, the network failed) cancels <see cref="Lease.Lost"/>; a node that dies
/// loses the lock with its connection, and another node's next attempt takes it.
/// </summary>
public sealed record LeaderRole(string Name, long LockKey)
{
    /// <summary>The async report projections (<c>AsyncProjectionsService</c>).</summary>
    public static readonly LeaderRole Reports = new("reports", 0x4C45_4447_4552_0001);

    /// <summary>Releasing expired holds (<c>HoldExpiryService</c>).</summary>
    public static readonly LeaderRole HoldExpiry = new("hold-expiry", 0x4C45_4447_4552_0002);

    /// <summary>How often a node that does not play a role tries to take it; also Marten's leadership polling.</summary>
    public static readonly TimeSpan PollingTime = TimeSpan.FromSeconds(1);
}

public sealed class LeaderLease(NpgsqlDataSource dataSource, LeaderRole role)
{
    private readonly PostgresDistributedLock _lock = new(new PostgresAdvisoryLockKey(role.LockKey), dataSource,
        // A session lock: no transaction stays open while the node leads.
        options => options.UseTransaction(false));

    public LeaderRole Role { get; } = role;

    /// <summary>Takes the role if no other node plays it; null when one does.</summary>
    public async Task<Lease?> TryAcquireAsync(CancellationToken cancellation)
    {
        var handle = await _lock.TryAcquireAsync(TimeSpan.Zero, cancellation);
        return handle is null ? null : new Lease(handle);
    }

    /// <summary>The role held; disposing it gives the role up.</summary>
    public sealed class Lease(PostgresDistributedLockHandle handle) : IAsyncDisposable
    {
        /// <summary>Cancelled when the lock's connection is lost: stop acting in the role at once.</summary>
        public CancellationToken Lost => handle.HandleLostToken;

        public async ValueTask DisposeAsync()
        {
            var lost = handle.HandleLostToken.IsCancellationRequested;
            try
            {
                await handle.DisposeAsync();
            }
            // The connection went with the lock on it (that is how the role was lost): there is nothing left to release.
            catch (Exception failure) when (lost &&
                                            failure is InvalidOperationException or System.Data.Common.DbException)
            {
            }
        }
    }
}
