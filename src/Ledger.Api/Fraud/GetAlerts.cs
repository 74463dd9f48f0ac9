using Ledger.Api.Infrastructure;
using Ledger.Fraud;
using Mediator;

namespace Ledger.Api.Fraud;

/// <summary>
/// <c>GET /fraud/alerts?accountId=&amp;after=&amp;limit=</c>: alerts raised by the fraud consumer in detection order,
/// optionally of one account, cursor-paged (<c>after</c> = a previous page's <c>nextCursor</c>).
/// </summary>
public static class GetAlertsEndpoint
{
    public sealed record AlertView(Guid AlertId, string Rule, Guid AccountId, IReadOnlyList<Guid> EventIds, string Amount, string Currency,
        DateTimeOffset DetectedAt, DateTimeOffset OccurredAt);

    public sealed record AlertsPage(IReadOnlyList<AlertView> Alerts, string? NextCursor);

    /// <summary>The parameters as sent.</summary>
    public sealed record Query(Guid? AccountId, string? After, int? Limit) : IQuery<AlertsPage>;

    public sealed class Validator : QueryValidator<Query>
    {
        public Validator()
        {
            RuleFor(query => query.Limit).ValidLimit(FraudStore.LimitMax);
            RuleFor(query => query.After).ValidCursor(text => FraudStore.TryParseCursor(text, out _));
        }
    }

    public sealed class Handler(FraudStore store) : IQueryHandler<Query, AlertsPage>
    {
        public async ValueTask<AlertsPage> Handle(Query query, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(query);
            var page = await store.AlertsAsync(query.AccountId, query.After, query.Limit ?? FraudStore.LimitDefault, cancellationToken);
            return new AlertsPage(page.Alerts.Select(alert => new AlertView(alert.AlertId, alert.Rule, alert.AccountId, alert.EventIds,
                alert.Amount, alert.Currency, alert.DetectedAt, alert.OccurredAt)).ToList(), page.NextCursor);
        }
    }

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGet("/fraud/alerts", async (Guid? accountId, string? after, int? limit, IMediator mediator, CancellationToken cancellationToken) =>
                TypedResults.Ok(await mediator.Send(new Query(accountId, after, limit), cancellationToken)))
            .WithName("GetFraudAlerts")
            .WithSummary("Lists fraud alerts in detection order, optionally of one account, cursor-paged.")
            .ProducesValidationProblem();
}
