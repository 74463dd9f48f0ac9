using FluentValidation;
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

    /// <summary>The parameters as sent, and the UTC day the request arrived, which ends the default window.</summary>
    public sealed record Query(string? From, string? To, string? Currency, DateOnly Today) : IQuery<DailyVolumesView>
    {
        public DateOnly LastDay => ReportInputs.ValidatedDay(To) ?? Today;

        // The default window is clipped at the first day there is, so 'to=0001-01-05' alone is still a window.
        public DateOnly FirstDay => ReportInputs.ValidatedDay(From) ?? DateOnly.FromDayNumber(Math.Max(0, LastDay.DayNumber + 1 - DaysDefault));
    }

    public sealed class Validator : QueryValidator<Query>
    {
        public Validator()
        {
            RuleFor(query => query.To).ValidDay();
            RuleFor(query => query.From).ValidDay();
            RuleFor(query => query.From).Must((query, _) => query.FirstDay <= query.LastDay).WithMessage("'from' must not be after 'to'.");
            RuleFor(query => query.To).Must((query, _) => query.LastDay.DayNumber - query.FirstDay.DayNumber + 1 <= DaysMax)
                .WithMessage($"A request covers at most {DaysMax} days; ask for several ranges.");
            RuleFor(query => query.Currency).ValidCurrencyCode();
        }
    }

    public sealed class Handler(ReportQueries reports) : IQueryHandler<Query, DailyVolumesView>
    {
        public async ValueTask<DailyVolumesView> Handle(Query query, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(query);
            var (first, last, currency) = (query.FirstDay, query.LastDay, ReportInputs.ValidatedCurrencyCode(query.Currency));
            var (sequence, rows) = await reports.DailyVolumesAsync(first, last, currency, cancellationToken);
            var days = rows.Select(row => new DayView(row.Day, row.Currency,
                new Volume(row.DepositsCount, ReportInputs.Major(row.DepositsMinor, row.Currency)),
                new Volume(row.WithdrawalsCount, ReportInputs.Major(row.WithdrawalsMinor, row.Currency)),
                new Volume(row.TransfersCount, ReportInputs.Major(row.TransfersMinor, row.Currency)))).ToList();
            return new DailyVolumesView(first, last, currency, sequence, days);
        }
    }

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGet("/reports/daily-volumes",
                async (string? from, string? to, string? currency, IMediator mediator, TimeProvider clock, CancellationToken cancellationToken) =>
                    TypedResults.Ok(await mediator.Send(new Query(from, to, currency, DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime)), cancellationToken)))
            .WithName("GetDailyVolumes")
            .WithSummary("Per day and currency: count and sum of deposits, withdrawals and transfers.")
            .ProducesValidationProblem();
}
