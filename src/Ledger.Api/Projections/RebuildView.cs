using Ledger.EventStore.Projections;

namespace Ledger.Api.Projections;

/// <summary>
/// A rebuild as the API shows it; <c>progress</c> is the fraction of events replayed (0 to 1); <c>startedBy</c> is who
/// started it (an API caller's subject, or <c>cli:&lt;OS user&gt;</c>), null for runs journaled before that was recorded.
/// </summary>
public sealed record RebuildView(
    Guid RebuildId,
    string Projection,
    string Kind,
    string State,
    long EventsDone,
    long EventsTotal,
    double Progress,
    double EventsPerSecond,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    string? Error,
    string? StartedBy)
{
    public static RebuildView From(RebuildRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var progress = record.State == RebuildState.Succeeded ? 1
            : record.EventsTotal > 0 ? Math.Min(1, (double)record.EventsDone / record.EventsTotal) : 0;
        return new RebuildView(record.Id, record.Projection, RebuildJournal.Text(record.Kind), RebuildJournal.Text(record.State),
            record.EventsDone, record.EventsTotal, Math.Round(progress, 4), Math.Round(record.EventsPerSecond, 1), record.StartedAt,
            record.FinishedAt, record.Error, record.StartedBy);
    }
}
