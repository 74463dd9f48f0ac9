using FluentValidation;
using Ledger.Api.Infrastructure;
using Ledger.Domain.Accounts;
using Ledger.EventStore.Transfers;
using Marten;
using Mediator;

namespace Ledger.Api.Approvals;

/// <summary>
/// Four eyes: the movements awaiting approval, and a supervisor's approval (the hold is captured as the movement requested)
/// or rejection (the hold is released). Whoever requested a movement may not decide it.
/// </summary>
public static class ApprovalEndpoints
{
    public const int LimitMax = 500;

    public sealed record Query(Guid ApprovalId) : IQuery<ApprovalView>;

    /// <summary>Movements awaiting approval, oldest first (<c>status=pending</c>, the default), or every decided one.</summary>
    public sealed record ListQuery(string? Status, int? Limit) : IQuery<IReadOnlyList<ApprovalView>>;

    public sealed record Approve(Guid ApprovalId) : ICommand<ApprovalView>;

    public sealed record Reject(Guid ApprovalId) : ICommand<ApprovalView>;

    public sealed class ListValidator : AbstractValidator<ListQuery>
    {
        public ListValidator()
        {
            RuleFor(query => query.Status).Must(status => status is null or ApprovalView.Pending or ApprovalView.Approved or ApprovalView.Rejected)
                .WithMessage("'status' must be pending, approved or rejected.");
            RuleFor(query => query.Limit).ValidLimit(LimitMax);
        }
    }

    public sealed class QueryHandler(LedgerSessions sessions) : IQueryHandler<Query, ApprovalView>, IQueryHandler<ListQuery, IReadOnlyList<ApprovalView>>
    {
        public async ValueTask<ApprovalView> Handle(Query query, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(query);
            await using var session = sessions.OpenReadSession();
            return ApprovalView.From(await FindAsync(session, query.ApprovalId, cancellationToken));
        }

        public async ValueTask<IReadOnlyList<ApprovalView>> Handle(ListQuery query, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(query);
            await using var session = sessions.OpenReadSession();
            var approvals = session.Query<Hold>().Where(hold => hold.Purpose != HoldPurpose.Hold);
            approvals = (query.Status ?? ApprovalView.Pending) switch
            {
                ApprovalView.Pending => approvals.Where(hold => hold.Status == HoldStatus.Open),
                ApprovalView.Approved => approvals.Where(hold => hold.Status == HoldStatus.Captured),
                _ => approvals.Where(hold => hold.Status == HoldStatus.Released),
            };
            var page = await approvals.OrderBy(hold => hold.PlacedAt).Take(query.Limit ?? 100).ToListAsync(cancellationToken);
            return page.Select(hold => ApprovalView.From(hold)).ToList();
        }
    }

    public sealed class CommandHandler(LedgerSessions sessions, AccountWriter writer, FourEyes fourEyes) :
        ICommandHandler<Approve, ApprovalView>, ICommandHandler<Reject, ApprovalView>
    {
        public async ValueTask<ApprovalView> Handle(Approve command, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(command);
            var (accountId, toAccountId) = await AccountsOfAsync(command.ApprovalId, cancellationToken);
            var supervisor = fourEyes.Requester;
            IReadOnlyList<Guid> accounts = toAccountId is { } to ? [accountId, to] : [accountId];
            return await writer.RunAsync<ApprovalView>(accounts, receiptId: null, (book, now) =>
                {
                    var hold = Locked(book, command.ApprovalId);
                    var from = book.Find(accountId)!;
                    var destination = toAccountId is { } toId ? book.Find(toId) : null;
                    var captured = AccountDecider.Decide(new ApproveHold(hold.HoldId, supervisor, now), hold, from, destination);
                    var fromAfter = AccountDecider.Evolve(from, captured);
                    TransferReceipt? receipt = null;
                    if (destination is not null)
                    {
                        // An approved transfer is found under its transfer id like any other.
                        receipt = new TransferReceipt(hold.HoldId, accountId, destination.AccountId, captured.AmountMinor, captured.Currency,
                            captured.Reference, fromAfter.BalanceMinor, AccountDecider.Evolve(destination, captured).BalanceMinor, captured.OccurredAt);
                    }

                    IReadOnlyList<(Guid, IAccountEvent)> events = destination is null
                        ? [(accountId, captured)]
                        : [(accountId, captured), (destination.AccountId, captured)];
                    return new AppendDecision(events, receipt, ApprovalView.From(AccountDecider.EvolveHold(hold, captured), fromAfter));
                },
                cancellationToken, holdId: command.ApprovalId);
        }

        public async ValueTask<ApprovalView> Handle(Reject command, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(command);
            var (accountId, _) = await AccountsOfAsync(command.ApprovalId, cancellationToken);
            var supervisor = fourEyes.Requester;
            return await writer.RunAsync<ApprovalView>([accountId], receiptId: null, (book, now) =>
                {
                    var hold = Locked(book, command.ApprovalId);
                    var account = book.Find(accountId)!;
                    var released = AccountDecider.Decide(new ReleaseHold(hold.HoldId, ReleaseReasons.Rejected, now, supervisor), hold, account);
                    return new AppendDecision([(accountId, released)], Receipt: null,
                        ApprovalView.From(AccountDecider.EvolveHold(hold, released), AccountDecider.Evolve(account, released)));
                },
                cancellationToken, holdId: command.ApprovalId);
        }

        /// <summary>The accounts an approval locks: facts fixed when it was requested, so they may be read before the lock.</summary>
        private async Task<(Guid AccountId, Guid? ToAccountId)> AccountsOfAsync(Guid approvalId, CancellationToken cancellationToken)
        {
            await using var session = sessions.OpenReadSession();
            var hold = await FindAsync(session, approvalId, cancellationToken);
            return (hold.AccountId, hold.ToAccountId);
        }

        private static Hold Locked(AccountBook book, Guid approvalId) =>
            book.FindHold(approvalId) is { AwaitsApproval: true } hold ? hold : throw NotFound(approvalId);
    }

    public static void MapReads(IEndpointRouteBuilder routes)
    {
        routes.MapGet("/approvals/{approvalId}", async (Guid approvalId, IMediator mediator, CancellationToken cancellationToken) =>
                TypedResults.Ok(await mediator.Send(new Query(approvalId), cancellationToken)))
            .WithName("GetApproval")
            .WithSummary("Reads a movement that awaits or awaited approval: pending, approved or rejected, and by whom.")
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    public static void MapDecisions(IEndpointRouteBuilder routes)
    {
        routes.MapGet("/approvals", async (string? status, int? limit, IMediator mediator, CancellationToken cancellationToken) =>
                TypedResults.Ok(await mediator.Send(new ListQuery(status, limit), cancellationToken)))
            .WithName("ListApprovals")
            .WithSummary("Lists the movements awaiting approval, oldest first ('status' pending, approved or rejected; at most 'limit', 100 by default).")
            .ProducesValidationProblem();
        routes.MapPost("/approvals/{approvalId}/approve", async (Guid approvalId, IMediator mediator, CancellationToken cancellationToken) =>
                TypedResults.Ok(await mediator.Send(new Approve(approvalId), cancellationToken)))
            .Idempotent(StatusCodes.Status200OK)
            .WithName("Approve")
            .WithSummary("Approves a movement awaiting approval: it is executed (its hold captured). The requester may not approve it.")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        routes.MapPost("/approvals/{approvalId}/reject", async (Guid approvalId, IMediator mediator, CancellationToken cancellationToken) =>
                TypedResults.Ok(await mediator.Send(new Reject(approvalId), cancellationToken)))
            .Idempotent(StatusCodes.Status200OK)
            .WithName("Reject")
            .WithSummary("Rejects a movement awaiting approval: its hold is released and no money moves. The requester may not reject it.")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
    }

    private static async Task<Hold> FindAsync(IQuerySession session, Guid approvalId, CancellationToken cancellationToken) =>
        await session.LoadAsync<Hold>(approvalId, cancellationToken) is { AwaitsApproval: true } hold ? hold : throw NotFound(approvalId);

    private static ProblemException NotFound(Guid approvalId) =>
        new(Problems.ApprovalNotFound, $"There is no movement awaiting approval with id {approvalId}.");
}
