using FluentValidation;
using Ledger.Api.Infrastructure;
using Ledger.Domain.Accounts;
using Marten;
using Mediator;

namespace Ledger.Api.Holds;

public static class GetHoldsEndpoints
{
    public const int LimitMax = 500;

    public sealed record Query(Guid AccountId, Guid HoldId) : IQuery<HoldView>;

    /// <summary>An account's holds, newest first; <c>status</c> open, captured or released narrows them.</summary>
    public sealed record ListQuery(Guid AccountId, string? Status, int? Limit) : IQuery<IReadOnlyList<HoldView>>;

    public sealed class ListValidator : AbstractValidator<ListQuery>
    {
        public ListValidator()
        {
            RuleFor(query => query.Status).Must(status => status is null or "open" or "captured" or "released")
                .WithMessage("'status' must be open, captured or released.");
            RuleFor(query => query.Limit).ValidLimit(LimitMax);
        }
    }

    public sealed class Handler(LedgerSessions sessions) : IQueryHandler<Query, HoldView>, IQueryHandler<ListQuery, IReadOnlyList<HoldView>>
    {
        public async ValueTask<HoldView> Handle(Query query, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(query);
            await using var session = sessions.OpenReadSession();
            var hold = await session.LoadAsync<Hold>(query.HoldId, cancellationToken);
            return hold is not null && hold.AccountId == query.AccountId
                ? HoldView.From(hold)
                : throw HoldWriter.NotFound(query.AccountId, query.HoldId);
        }

        public async ValueTask<IReadOnlyList<HoldView>> Handle(ListQuery query, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(query);
            await using var session = sessions.OpenReadSession();
            if (await session.LoadAsync<Account>(query.AccountId, cancellationToken) is null)
            {
                throw ProblemException.AccountNotFound(query.AccountId);
            }

            var holds = session.Query<Hold>().Where(hold => hold.AccountId == query.AccountId);
            if (query.Status is { } status)
            {
                var wanted = Enum.Parse<HoldStatus>(status, ignoreCase: true);
                holds = holds.Where(hold => hold.Status == wanted);
            }

            var page = await holds.OrderByDescending(hold => hold.PlacedAt).Take(query.Limit ?? 100).ToListAsync(cancellationToken);
            return page.Select(hold => HoldView.From(hold)).ToList();
        }
    }

    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet("/accounts/{accountId}/holds/{holdId}",
                async (Guid accountId, Guid holdId, IMediator mediator, CancellationToken cancellationToken) =>
                    TypedResults.Ok(await mediator.Send(new Query(accountId, holdId), cancellationToken)))
            .WithName("GetHold")
            .WithSummary("Reads one hold of an account: open, captured (how much, where to) or released (why).")
            .ProducesProblem(StatusCodes.Status404NotFound);
        routes.MapGet("/accounts/{accountId}/holds",
                async (Guid accountId, string? status, int? limit, IMediator mediator, CancellationToken cancellationToken) =>
                    TypedResults.Ok(await mediator.Send(new ListQuery(accountId, status, limit), cancellationToken)))
            .WithName("ListHolds")
            .WithSummary("Lists an account's holds, newest first (at most 100 unless 'limit' says otherwise, up to 500).")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
    }
}
