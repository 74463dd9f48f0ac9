using Ledger.Api.Infrastructure;
using Ledger.Domain.Accounts;
using Mediator;

namespace Ledger.Api.Accounts.GetAccount;

public static class GetAccountEndpoint
{
    public sealed record Query(Guid AccountId) : IQuery<AccountView>;

    public sealed class Handler(LedgerSessions sessions) : IQueryHandler<Query, AccountView>
    {
        public async ValueTask<AccountView> Handle(Query query, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(query);
            await using var session = sessions.OpenReadSession();
            var account = await session.LoadAsync<Account>(query.AccountId, cancellationToken)
                          ?? throw new ProblemException(Problems.AccountNotFound, $"Account {query.AccountId} does not exist.");
            return AccountView.From(account);
        }
    }

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGet("/accounts/{accountId}", async (Guid accountId, IMediator mediator, HttpResponse response, CancellationToken cancellationToken) =>
            {
                var view = await mediator.Send(new Query(accountId), cancellationToken);
                response.Headers.ETag = ETags.Of(view.Version);
                return TypedResults.Ok(view);
            })
            .WithName("GetAccount")
            .WithSummary("Reads an account; the ETag is its stream version.")
            .ProducesProblem(StatusCodes.Status404NotFound);
}
