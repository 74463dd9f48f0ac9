using FluentValidation;
using Ledger.Api.Infrastructure;
using Ledger.EventStore.Reports;
using Mediator;

namespace Ledger.Api.Reports;

/// <summary>
/// <c>GET /reports/top-accounts?by=volume|count&amp;limit=&amp;currency=</c>: the most active accounts from the async
/// account-activity projection. By count across currencies; by volume (in + out) within a currency, and without a
/// currency the top <c>limit</c> of each one, because amounts in different currencies cannot be ranked together.
/// </summary>
public static class GetTopAccountsEndpoint
{
    public const int LimitDefault = 10;
    public const int LimitMax = 100;

    public sealed record AccountActivityView(
        Guid AccountId,
        string Currency,
        DateTimeOffset FirstActivityAt,
        DateTimeOffset LastActivityAt,
        long EventCount,
        decimal TotalIn,
        decimal TotalOut,
        decimal Volume);

    public sealed record TopAccountsView(string By, int Limit, string? Currency, long LastProcessedSequence, IReadOnlyList<AccountActivityView> Accounts);

    /// <summary>The parameters as sent.</summary>
    public sealed record Query(string? By, int? Limit, string? Currency) : IQuery<TopAccountsView>;

    public sealed class Validator : QueryValidator<Query>
    {
        public Validator()
        {
            RuleFor(query => query.By).Must(by => OrderOf(by) is not null).WithMessage("'by' must be 'volume' or 'count'.");
            RuleFor(query => query.Limit).ValidLimit(LimitMax);
            RuleFor(query => query.Currency).ValidCurrencyCode();
        }
    }

    public sealed class Handler(ReportQueries reports) : IQueryHandler<Query, TopAccountsView>
    {
        public async ValueTask<TopAccountsView> Handle(Query query, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(query);
            var order = OrderOf(query.By) ?? throw new InvalidOperationException("'by' was not validated before the handler ran.");
            var (limit, currency) = (query.Limit ?? LimitDefault, ReportInputs.ValidatedCurrencyCode(query.Currency));
            var (sequence, rows) = await reports.TopAccountsAsync(order, limit, currency, cancellationToken);
            var accounts = rows.Select(row => new AccountActivityView(row.AccountId, row.Currency, row.FirstActivityAt, row.LastActivityAt,
                row.EventCount, ReportInputs.Major(row.InMinor, row.Currency), ReportInputs.Major(row.OutMinor, row.Currency),
                ReportInputs.Major(row.VolumeMinor, row.Currency))).ToList();
            return new TopAccountsView(order == TopAccountsOrder.Volume ? "volume" : "count", limit, currency, sequence, accounts);
        }
    }

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGet("/reports/top-accounts",
                async (string? by, int? limit, string? currency, IMediator mediator, CancellationToken cancellationToken) =>
                    TypedResults.Ok(await mediator.Send(new Query(by, limit, currency), cancellationToken)))
            .WithName("GetTopAccounts")
            .WithSummary("The most active accounts by volume (per currency) or by number of events.")
            .ProducesValidationProblem();

    private static TopAccountsOrder? OrderOf(string? by) => by switch
    {
        null or "volume" => TopAccountsOrder.Volume,
        "count" => TopAccountsOrder.Count,
        _ => null,
    };
}
