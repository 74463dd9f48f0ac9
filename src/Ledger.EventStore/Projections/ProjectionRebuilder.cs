using System.Diagnostics;
using JasperFx.Events.Projections;
using Ledger.EventStore.MartenStorage;
using Marten;
using Npgsql;

namespace Ledger.EventStore.Projections;

/// <summary>
/// Rebuilds or verifies one projection on a live system (ADR-007). The events are replayed into a shadow table while the
/// live table keeps serving and being written; the shadow then catches up and, for a rebuild, replaces the live table in
/// one short transaction (blue/green by table), or, for a verification, is compared with it row by row and dropped.
/// Cancelling at any point drops the shadow and leaves the live model as it was.
/// </summary>
public sealed class ProjectionRebuilder(NpgsqlDataSource dataSource, ISerializer serializer, TimeProvider time)
{
    private const int FlushEvery = 20_000;
    private const int DifferingIdsMax = 100;
    private const int SwitchAttemptsMax = 40;
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan JournalInterval = TimeSpan.FromSeconds(1);

    private readonly NpgsqlDataSource _dataSource = dataSource;
    private readonly TimeProvider _time = time;
    private readonly ISerializer _serializer = serializer;
    private readonly EventReader _events = new(serializer);
    private readonly RebuildJournal _journal = new(dataSource, time);

    /// <summary>
    /// Takes the projection's lock, then runs; <see cref="ProjectionBusyException"/> when another run holds it.
    /// <paramref name="startedBy"/> is journaled as who started the run.
    /// </summary>
    public async Task<RebuildOutcome> RunAsync(Guid id, ReplayProjection projection, RebuildKind kind, string startedBy,
        IProgress<RebuildProgress>? progress, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(projection);
        var lease = await TryBeginAsync(id, projection, kind, startedBy, cancellation) ?? throw new ProjectionBusyException(projection.Name);
        return await RunAsync(lease, progress, cancellation);
    }

    /// <summary>
    /// Takes the projection's lock and journals the run as running with the lock session's identity, in that order, so
    /// a journaled run is never without its lock; null when another run (in any process) holds the lock.
    /// </summary>
    public async Task<RebuildLease?> TryBeginAsync(Guid id, ReplayProjection projection, RebuildKind kind, string startedBy,
        CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(projection);
        ArgumentException.ThrowIfNullOrWhiteSpace(startedBy);
        var connection = await _dataSource.OpenConnectionAsync(cancellation);
        var held = await TryTakeLockAsync(connection, projection.Name, cancellation);
        if (held is null)
        {
            return null;
        }

        var lease = new RebuildLease(id, projection, kind, connection, held);
        try
        {
            await _journal.StartAsync(id, projection.Name, kind, startedBy, connection.ProcessID, cancellation);
        }
        catch
        {
            await lease.DisposeAsync();
            throw;
        }

        return lease;
    }

    /// <summary>Runs a begun rebuild or verification to its end, journals how it ended and releases the lease.</summary>
    public async Task<RebuildOutcome> RunAsync(RebuildLease lease, IProgress<RebuildProgress>? progress, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var run = new Run(this, lease.Id, lease.Projection, lease.Kind, progress);
        RebuildOutcome outcome;
        try
        {
            await using (lease)
            {
                try
                {
                    outcome = await run.ExecuteAsync(cancellation);
                }
                finally
                {
                    await run.DropShadowAsync();
                }
            }
        }
        catch (OperationCanceledException)
        {
            await _journal.FinishAsync(lease.Id, RebuildState.Cancelled, run.Latest, differences: null, "Cancelled; the previous model is unchanged.");
            throw;
        }
        catch (Exception failure)
        {
            await _journal.FinishAsync(lease.Id, RebuildState.Failed, run.Latest, differences: null, failure.Message);
            throw;
        }

        // Journaled only once the lock is released, so whoever reads "succeeded" may start the next run at once.
        await _journal.FinishAsync(lease.Id, RebuildState.Succeeded, run.Latest, outcome.Differences, error: null);
        return outcome;
    }

    private static async Task<ProjectionLock?> TryTakeLockAsync(NpgsqlConnection connection, string projection, CancellationToken cancellation)
    {
        try
        {
            var held = await ProjectionLock.TryTakeAsync(connection, projection, cancellation);
            if (held is null)
            {
                await connection.DisposeAsync();
            }

            return held;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>One run's state: the builder, how far each stream has been applied, and the highest sequence applied.</summary>
    private sealed class Run(ProjectionRebuilder owner, Guid id, ReplayProjection projection, RebuildKind kind,
        IProgress<RebuildProgress>? progress)
    {
        private readonly IProjectionBuilder _builder = projection.CreateBuilder(new ReplayContext(owner._serializer));
        private readonly Dictionary<Guid, long> _versions = [];
        private readonly ShadowTable _shadow = new(projection.Table, kind == RebuildKind.Rebuild ? "rebuild" : "verify");
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _sequence;
        private long _done;
        private long _total;
        private TimeSpan? _lastReport;
        private TimeSpan _lastJournal = TimeSpan.Zero;

        public RebuildProgress? Latest { get; private set; }

        private bool IsAsync => projection.Lifecycle == ProjectionLifecycle.Async;

        public async Task<RebuildOutcome> ExecuteAsync(CancellationToken cancellation)
        {
            await using var write = await owner._dataSource.OpenConnectionAsync(cancellation);
            await _shadow.CreateAsync(write, cancellation);

            // An async model is replayed up to a sequence that is final; a verification stops where the live model stands.
            var ceiling = long.MaxValue;
            if (IsAsync)
            {
                var position = await AsyncProjectionRunner.PositionAsync(write, projection.Name, cancellation);
                ceiling = kind == RebuildKind.Verify
                    ? position
                    : Math.Max(position, await new SequenceCeiling(owner._time).SettleAsync(write, position, cancellation));
            }

            _total = await CountEventsAsync(write, ceiling, cancellation);
            await ReplayAsync(write, ceiling, cancellation);
            Report(RebuildPhase.Indexing, force: true);
            await _shadow.CreateIndexesAsync(write, cancellation);

            // Catch up once without locks, so the locked step below only has the last moments to apply.
            Report(RebuildPhase.CatchingUp, force: true);
            if (!IsAsync)
            {
                await CatchUpStreamsAsync(write, cancellation);
                await _builder.CompleteAsync(write, _shadow.QualifiedName, cancellation);
            }

            long? differences = null;
            IReadOnlyList<string> differing = [];
            if (kind == RebuildKind.Rebuild)
            {
                Report(RebuildPhase.Switching, force: true);
                await SwitchWithRetriesAsync(write, cancellation);
            }
            else
            {
                Report(RebuildPhase.Comparing, force: true);
                (differences, differing) = await CompareAsync(write, cancellation);
            }

            Report(kind == RebuildKind.Rebuild ? RebuildPhase.Switching : RebuildPhase.Comparing, force: true);
            return new RebuildOutcome(id, projection.Name, kind, _done, _clock.Elapsed, Latest!.EventsPerSecond, _sequence, differences,
                differing);
        }

        public async Task DropShadowAsync()
        {
            await using var connection = await owner._dataSource.OpenConnectionAsync(CancellationToken.None);
            await _shadow.DropAsync(connection, CancellationToken.None);
        }

        private async Task ReplayAsync(NpgsqlConnection write, long ceiling, CancellationToken cancellation)
        {
            await using var read = await owner._dataSource.OpenConnectionAsync(cancellation);
            await foreach (var e in owner._events.ReadRangeAsync(read, 0, ceiling, cancellation))
            {
                Apply(e);
                if (_done % FlushEvery == 0)
                {
                    await _builder.FlushAsync(write, _shadow.QualifiedName, cancellation);
                }

                Report(RebuildPhase.Replaying, force: false);
            }

            await _builder.FlushAsync(write, _shadow.QualifiedName, cancellation);
        }

        private void Apply(ReplayEvent e)
        {
            _builder.Apply(e);
            _versions[e.StreamId] = e.Version;
            _sequence = Math.Max(_sequence, e.Sequence);
            _done++;
        }

        /// <summary>Applies every event of every stream past the version this run has, as the connection's snapshot sees them.</summary>
        private async Task CatchUpStreamsAsync(NpgsqlConnection connection, CancellationToken cancellation)
        {
            var behind = new List<(Guid, long)>();
            await using (var streams = new NpgsqlCommand(MartenTables.SelectStreamVersions, connection))
            await using (var reader = await streams.ExecuteReaderAsync(cancellation))
            {
                while (await reader.ReadAsync(cancellation))
                {
                    var applied = _versions.GetValueOrDefault(reader.GetGuid(0));
                    if (reader.GetInt64(1) > applied)
                    {
                        behind.Add((reader.GetGuid(0), applied));
                    }
                }
            }

            await ApplyAllAsync(owner._events.ReadStreamsAfterAsync(connection, behind, cancellation), cancellation);
        }

        private async Task CatchUpRangeAsync(NpgsqlConnection connection, long upTo, CancellationToken cancellation)
        {
            if (upTo > _sequence)
            {
                await ApplyAllAsync(owner._events.ReadRangeAsync(connection, _sequence, upTo, cancellation), cancellation);
                _sequence = upTo;
            }
        }

        private async Task ApplyAllAsync(IAsyncEnumerable<ReplayEvent> events, CancellationToken cancellation)
        {
            // Read to the end first: the same connection writes the shadow next.
            var pending = new List<ReplayEvent>();
            await foreach (var e in events.WithCancellation(cancellation))
            {
                pending.Add(e);
            }

            _total += pending.Count;
            pending.ForEach(Apply);
        }

        /// <summary>
        /// Every append of an account event locks its stream's row (or inserts it) before it reads or writes any model
        /// table, and keeps that lock to its commit. Waiting for this lock lets the appends in flight finish (they need
        /// nothing the switch holds) and queues new ones at their first step, so afterwards only readers hold the model's
        /// table. Taking a lock the appends take later (mt_events, as before) while they hold the model's table for reading
        /// made a cycle that starved the switch under sustained writes (ADR-007). Readers of mt_streams are not blocked.
        /// </summary>
        private const string AppendsStopped = MartenTables.StopAppends;

        /// <summary>
        /// Takes the locks first (any failure to get them changes nothing and is retried), then applies the last events,
        /// checks, renames and commits. Appends wait only for this short step; readers of other models never wait.
        /// </summary>
        private async Task SwitchWithRetriesAsync(NpgsqlConnection connection, CancellationToken cancellation)
        {
            for (var attempt = 1; ; attempt++)
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellation);
                try
                {
                    await ExecuteAsync(connection, "set local lock_timeout = '500ms'", cancellation);
                    long? position = null;
                    if (IsAsync)
                    {
                        position = await AsyncProjectionRunner.LockPositionAsync(connection, projection.Name, cancellation);
                    }
                    else
                    {
                        // Appends stop here, before the model's table is locked: see AppendsStopped.
                        await ExecuteAsync(connection, AppendsStopped, cancellation);
                    }

                    await ExecuteAsync(connection, $"lock table {_shadow.QualifiedLive} in access exclusive mode", cancellation);
                    await ExecuteAsync(connection, "set local lock_timeout = 0", cancellation);
                    if (position is { } live)
                    {
                        await CatchUpRangeAsync(connection, Math.Max(live, _sequence), cancellation);
                        await AsyncProjectionRunner.SetPositionAsync(connection, projection.Name, _sequence, owner._time, cancellation);
                    }
                    else
                    {
                        await CatchUpStreamsAsync(connection, cancellation);
                    }

                    await _builder.CompleteAsync(connection, _shadow.QualifiedName, cancellation);
                    await projection.CheckBeforeSwitchAsync(connection, _shadow.QualifiedLive, _shadow.QualifiedName, cancellation);
                    await _shadow.SwitchAsync(connection, cancellation);
                    await transaction.CommitAsync(cancellation);
                    return;
                }
                catch (PostgresException busy) when (busy.SqlState is PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.DeadlockDetected
                                                      && attempt < SwitchAttemptsMax)
                {
                    await transaction.RollbackAsync(cancellation);
                    await Task.Delay(TimeSpan.FromMilliseconds(100 + Random.Shared.Next(200)), cancellation);
                }
            }
        }

        /// <summary>Compares in one snapshot, in which the live model and the events agree with each other.</summary>
        private async Task<(long, IReadOnlyList<string>)> CompareAsync(NpgsqlConnection connection, CancellationToken cancellation)
        {
            await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellation);
            if (IsAsync)
            {
                await CatchUpRangeAsync(connection, await AsyncProjectionRunner.PositionAsync(connection, projection.Name, cancellation),
                    cancellation);
            }
            else
            {
                await CatchUpStreamsAsync(connection, cancellation);
            }

            await _builder.CompleteAsync(connection, _shadow.QualifiedName, cancellation);
            var keys = projection.KeyColumns;
            var join = string.Join(" and ", keys.Select(k => $"live.{k} = shadow.{k}"));
            var differs = $"row({string.Join(", ", projection.ComparedColumns.Select(c => $"live.{c}"))}) is distinct from " +
                          $"row({string.Join(", ", projection.ComparedColumns.Select(c => $"shadow.{c}"))})";
            var label = $"concat_ws('/', {string.Join(", ", keys.Select(k => $"coalesce(live.{k}, shadow.{k})::text"))})";
            await using var command = new NpgsqlCommand(
                $"select {label}, count(*) over () from {_shadow.QualifiedLive} live full join {_shadow.QualifiedName} shadow on {join} " +
                $"where live.{keys[0]} is null or shadow.{keys[0]} is null or {differs} order by 1 limit {DifferingIdsMax}", connection)
            {
                CommandTimeout = 0,
            };
            var ids = new List<string>();
            long count = 0;
            await using (var reader = await command.ExecuteReaderAsync(cancellation))
            {
                while (await reader.ReadAsync(cancellation))
                {
                    ids.Add(reader.GetString(0));
                    count = reader.GetInt64(1);
                }
            }

            await transaction.RollbackAsync(cancellation);
            return (count, ids);
        }

        private static async Task<long> CountEventsAsync(NpgsqlConnection connection, long ceiling, CancellationToken cancellation)
        {
            await using var count = new NpgsqlCommand(MartenTables.CountEventsUpTo, connection);
            count.Parameters.AddWithValue("ceiling", ceiling);
            return (long)(await count.ExecuteScalarAsync(cancellation))!;
        }

        private void Report(RebuildPhase phase, bool force)
        {
            var elapsed = _clock.Elapsed;
            if (!force && _lastReport is { } last && elapsed - last < ProgressInterval)
            {
                return;
            }

            _lastReport = elapsed;
            Latest = new RebuildProgress(phase, _done, Math.Max(_total, _done), elapsed);
            progress?.Report(Latest);
            if (force || elapsed - _lastJournal >= JournalInterval)
            {
                _lastJournal = elapsed;
                // Progress rows are for watchers; a failed update must not fail the run.
                _ = owner._journal.ProgressAsync(id, Latest, CancellationToken.None).ContinueWith(static _ => { },
                    TaskScheduler.Default);
            }
        }

        private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellation)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync(cancellation);
        }
    }
}
