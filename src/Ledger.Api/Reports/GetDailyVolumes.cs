using Ledger.Api.Infrastructure;
using Ledger.EventStore.Reports;
using Mediator;

namespace Ledger.Api.Reports;

/// <summary>
/// <c>GET /reports/daily-volumes?from=&amp;to=&amp;currency=</c>: per UTC day and currency, count and sum of deposits,
/// withdrawals and transfers (each transfer once), from the async daily-volumes projection. Days are inclusive;
/// without dates, the last 31 days; at most <see cref="DaysMax"/> days per request.
/// </summary>
public static class GetDailyVolumesEndpoint
{
    public const int DaysMax = 366;
    public const int DaysDefault = 31;

    public sealed record Volume(long Count, decimal Amount);

    public sealed record DayView(DateOnly Day, string Currency, Volume Deposits, Volume Withdrawals, Volume Transfers);

    public sealed record DailyVolumesView(DateOnly From, DateOnly To, string? Currency, long LastProcessedSequence, IReadOnlyList<DayView> Days);

    public sealed record Query(DateOnly From, DateOnly To, string? Currency) : IQuery<DailyVolumesView>;

    public sealed class Handler(ReportQueries reports) : IQueryHandler<Query, DailyVolumesView>
    {
        public async ValueTask<DailyVolumesView> Handle(Query query, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(query);
            var (sequence, rows) = await reports.DailyVolumesAsync(query.From, query.To, query.Currency, cancellationToken);
            var days = rows.Select(row => new DayView(row.Day, row.Currency,
                new Volume(row.DepositsCount, ReportInputs.Major(row.DepositsMinor, row.Currency)),
                new Volume(row.WithdrawalsCount, ReportInputs.Major(row.WithdrawalsMinor, row.Currency)),
                new Volume(row.TransfersCount, ReportInputs.Major(row.TransfersMinor, row.Currency)))).ToList();
            return new DailyVolumesView(query.From, query.To, query.Currency, sequence, days);
        }
    }

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGet("/reports/daily-volumes",
                async (string? from, string? to, string? currency, IMediator mediator, TimeProvider clock, CancellationToken cancellationToken) =>
                {
                    var last = ReportInputs.Day(to, "to") ?? DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
                    // The default window is clipped at the first day there is, so 'to=0001-01-05' alone is still a window.
                    var first = ReportInputs.Day(from, "from") ?? DateOnly.FromDayNumber(Math.Max(0, last.DayNumber + 1 - DaysDefault));
                    if (first > last)
                    {
                        throw Invalid.Parameter("from", "'from' must not be after 'to'.");
                    }

                    if (last.DayNumber - first.DayNumber + 1 > DaysMax)
                    {
                        throw Invalid.Parameter("to", $"A request covers at most {DaysMax} days; ask for several ranges.");
                    }

                    return TypedResults.Ok(await mediator.Send(new Query(first, last, ReportInputs.CurrencyCode(currency)), cancellationToken));
                })
            .WithName("GetDailyVolumes")
            .WithSummary("Per day and currency: count and sum of deposits, withdrawals and transfers.")
            .ProducesValidationProblem();
}
