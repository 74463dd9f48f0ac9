using Ledger.Api.Infrastructure;
using Ledger.Domain.Money;
using Ledger.EventStore.Audit;
using Mediator;

namespace Ledger.Api.Audit;

/// <summary>
/// <c>GET /ledger/balances?asOf=</c>: the trial balance per currency at an instant. Transfers net to zero, so for every
/// currency the sum of balances must equal deposits minus withdrawals; <c>balanced</c> reports whether it does.
/// </summary>
public static class GetBalancesEndpoint
{
    public sealed record CurrencyTotals(string Currency, long Accounts, decimal TotalBalance, decimal TotalDeposited, decimal TotalWithdrawn, bool Balanced);

    public sealed record TrialBalanceView(string AsOf, long Sequence, bool Balanced, IReadOnlyList<CurrencyTotals> Currencies);

    /// <summary><c>asOf</c> as sent; without it the trial balance is taken at <c>Now</c>.</summary>
    public sealed record Query(string? AsOf, DateTimeOffset Now) : IQuery<TrialBalanceView>;

    public sealed class Validator : QueryValidator<Query>
    {
        public Validator() => RuleFor(query => query.AsOf).ValidInstant();
    }

    public sealed class Handler(AuditQueries audit) : IQueryHandler<Query, TrialBalanceView>
    {
        public async ValueTask<TrialBalanceView> Handle(Query query, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(query);
            var asOf = Instants.Validated(query.AsOf) ?? query.Now;
            var trial = await audit.TrialBalanceAsync(asOf, cancellationToken);
            var currencies = trial.Currencies.Select(totals =>
            {
                var currency = Currency.Find(totals.Currency);
                var balanced = totals.TotalBalanceMinor == totals.TotalDepositedMinor - totals.TotalWithdrawnMinor;
                return new CurrencyTotals(totals.Currency, totals.Accounts, MinorUnits.ToMajor(totals.TotalBalanceMinor, currency),
                    MinorUnits.ToMajor(totals.TotalDepositedMinor, currency), MinorUnits.ToMajor(totals.TotalWithdrawnMinor, currency), balanced);
            }).ToList();
            return new TrialBalanceView(Instants.Format(asOf), trial.Sequence, currencies.TrueForAll(totals => totals.Balanced), currencies);
        }
    }

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGet("/ledger/balances", async (string? asOf, IMediator mediator, TimeProvider clock, CancellationToken cancellationToken) =>
                TypedResults.Ok(await mediator.Send(new Query(asOf, clock.GetUtcNow()), cancellationToken)))
            .WithName("GetTrialBalance")
            .WithSummary("Balances, deposits and withdrawals per currency at an instant, and whether they agree.")
            .ProducesValidationProblem();
}
