using Npgsql;

namespace Ledger.EventStore.Projections;

/// <summary>One row per rebuild or verification in <see cref="ProjectionTables.Rebuilds"/>, so any process can follow a run.</summary>
public sealed record RebuildRecord(
    Guid Id,
    string Projection,
    RebuildKind Kind,
    RebuildState State,
    long EventsDone,
    long EventsTotal,
    double EventsPerSecond,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    long? Differences,
    string? Error,
    string? StartedBy);

public sealed class RebuildJournal(NpgsqlDataSource dataSource, TimeProvider time)
{
    /// <summary>
    /// A run marked running whose lock session no longer exists: its process died (or lost its connection), and with the
    /// session went the projection's lock, so it will never finish. Shown as abandoned at once; the next run of the projection
    /// journals it as failed. Another user's session start time may be hidden (null); then the process id alone decides.
    /// </summary>
    private const string Abandoned =
        "r.state = 'running' and r.lock_pid is not null and not exists (select 1 from pg_stat_activity a where a.pid = r.lock_pid " +
        "and (a.backend_start is null or a.backend_start = r.lock_session_started_at))";

    private const string StateNow = $"case when {Abandoned} then 'abandoned' else r.state end";

    private const string AbandonedError = "Abandoned: the process running it stopped and its lock is gone; the previous model is unchanged.";

    /// <summary>
    /// Journals a run as running. The caller holds the projection's lock on the session <paramref name="lockSessionPid"/>;
    /// that session (process id and start time, so a reused process id is not mistaken for it) is the run's life sign.
    /// </summary>
    public async Task StartAsync(Guid id, string projection, RebuildKind kind, string startedBy, int lockSessionPid, CancellationToken cancellation)
    {
        // The caller holds the projection's lock, so a row still marked running belongs to a process that died.
        await ExecuteAsync(
            $"update {ProjectionTables.Rebuilds} set state = 'failed', finished_at = @now, error = 'Interrupted: the process running it stopped.' " +
            $"where projection = @projection and state = 'running' and id <> @id; " +
            $"insert into {ProjectionTables.Rebuilds} (id, projection, kind, state, events_done, events_total, events_per_second, started_at, " +
            "lock_pid, lock_session_started_at, started_by) " +
            "select @id, @projection, @kind, 'running', 0, 0, 0, @now, pid, backend_start, @startedBy from pg_stat_activity where pid = @pid " +
            "on conflict (id) do nothing",
            cancellation, ("id", id), ("projection", projection), ("kind", Text(kind)), ("now", time.GetUtcNow()), ("pid", lockSessionPid),
            ("startedBy", startedBy));
    }

    public Task ProgressAsync(Guid id, RebuildProgress progress, CancellationToken cancellation) => ExecuteAsync(
        $"update {ProjectionTables.Rebuilds} set events_done = @done, events_total = @total, events_per_second = @rate where id = @id",
        cancellation, ("id", id), ("done", progress.EventsDone), ("total", progress.EventsTotal), ("rate", progress.EventsPerSecond));

    public Task FinishAsync(Guid id, RebuildState state, RebuildProgress? progress, long? differences, string? error) => ExecuteAsync(
        $"update {ProjectionTables.Rebuilds} set state = @state, finished_at = @now, differences = @differences, error = @error, " +
        "events_done = coalesce(@done, events_done), events_total = coalesce(@total, events_total), " +
        "events_per_second = coalesce(@rate, events_per_second) where id = @id",
        CancellationToken.None, ("id", id), ("state", Text(state)), ("now", time.GetUtcNow()),
        ("differences", (object?)differences ?? DBNull.Value), ("error", (object?)error ?? DBNull.Value),
        ("done", (object?)progress?.EventsDone ?? DBNull.Value), ("total", (object?)progress?.EventsTotal ?? DBNull.Value),
        ("rate", (object?)progress?.EventsPerSecond ?? DBNull.Value));

    public async Task<RebuildRecord?> FindAsync(Guid id, CancellationToken cancellation)
    {
        await using var command = dataSource.CreateCommand(
            $"select id, projection, kind, {StateNow}, events_done, events_total, events_per_second, started_at, finished_at, differences, " +
            $"case when {Abandoned} then '{AbandonedError}' else error end, started_by from {ProjectionTables.Rebuilds} r where id = @id");
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        if (!await reader.ReadAsync(cancellation))
        {
            return null;
        }

        return new RebuildRecord(reader.GetGuid(0), reader.GetString(1), Enum.Parse<RebuildKind>(reader.GetString(2), ignoreCase: true),
            Enum.Parse<RebuildState>(reader.GetString(3), ignoreCase: true), reader.GetInt64(4), reader.GetInt64(5), reader.GetDouble(6),
            reader.GetFieldValue<DateTimeOffset>(7), reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8),
            reader.IsDBNull(9) ? null : reader.GetInt64(9), reader.IsDBNull(10) ? null : reader.GetString(10),
            reader.IsDBNull(11) ? null : reader.GetString(11));
    }

    public static string Text<T>(T value)
        where T : struct, Enum => value.ToString().ToLowerInvariant();

    private async Task ExecuteAsync(string sql, CancellationToken cancellation, params (string Name, object Value)[] parameters)
    {
        await using var command = dataSource.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync(cancellation);
    }
}
