using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Ledger.EventStore.Projections;

namespace Ledger.Bench.Compare;

/// <param name="Seconds">From the POST that started it to the first poll that found it finished (polled every 250 ms).</param>
/// <param name="ApiEventsPerSecond">The rate the API itself reports for the run.</param>
internal sealed record RebuildRun(string Projection, string State, long Events, double Seconds, double EventsPerSecond, double ApiEventsPerSecond,
    string? Error);

/// <summary>Each projection rebuilt in turn through the API (<c>POST /api/v1/projections/{name}/rebuild</c>), followed to its end.</summary>
internal static class Rebuilds
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(30);

    public static async Task<IReadOnlyList<RebuildRun>> RunAsync(LedgerClient api, string authorization, CancellationToken cancellation)
    {
        var runs = new List<RebuildRun>();
        foreach (var projection in ProjectionCatalog.Ledger.All)
        {
            var stopwatch = Stopwatch.StartNew();
            var (status, started) = await api.SendAsync(HttpMethod.Post, $"/api/v1/projections/{projection.Name}/rebuild", authorization, null,
                cancellation);
            if (status != HttpStatusCode.Accepted || started is not { } view)
            {
                throw new InvalidOperationException($"Rebuilding {projection.Name} answered {(int)status}: {started}");
            }

            var rebuildId = view.GetProperty("rebuildId").GetGuid();
            while (view.GetProperty("state").GetString() == "running" && stopwatch.Elapsed < Limit)
            {
                await Task.Delay(Poll, cancellation);
                (_, var polled) = await api.SendAsync(HttpMethod.Get, $"/api/v1/projections/{projection.Name}/rebuilds/{rebuildId}", authorization,
                    null, cancellation);
                view = polled ?? view;
            }

            var seconds = stopwatch.Elapsed.TotalSeconds;
            var events = view.GetProperty("eventsTotal").GetInt64();
            runs.Add(new RebuildRun(projection.Name, view.GetProperty("state").GetString() ?? "", events, seconds, events / seconds,
                view.GetProperty("eventsPerSecond").GetDouble(),
                view.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String ? error.GetString() : null));
        }

        return runs;
    }
}
