using FluentValidation;
using Ledger.Api.Approvals;
using Ledger.Api.Infrastructure;
using Ledger.Domain.Accounts;
using Ledger.Domain.Money;
using Ledger.EventStore.Transfers;
using Marten;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ledger.Api.Transfers;

public sealed record TransferView(
    Guid TransferId,
    Guid FromAccountId,
    Guid ToAccountId,
    decimal Amount,
    string Currency,
    decimal FromBalance,
    decimal ToBalance)
{
    public static TransferView From(TransferReceipt receipt)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        var currency = Domain.Money.Currency.Find(receipt.Currency);
        return new TransferView(receipt.TransferId, receipt.FromAccountId, receipt.ToAccountId,
            MinorUnits.ToMajor(receipt.AmountMinor, currency), receipt.Currency,
            MinorUnits.ToMajor(receipt.FromBalanceMinor, currency), MinorUnits.ToMajor(receipt.ToBalanceMinor, currency));
    }
}

public static class TransferEndpoint
{
    /// <summary>The request body, bound as it is. The answer is a <see cref="TransferView"/>, or an <see cref="ApprovalView"/> for a transfer awaiting approval.</summary>
    public sealed record Command(Guid? TransferId, Guid? FromAccountId, Guid? ToAccountId, AmountInput? Amount, string? Reference)
        : ICommand<object>;

    public sealed class Validator : AbstractValidator<Command>
    {
        public Validator()
        {
            RuleFor(command => command.TransferId).NotEqual(Guid.Empty).WithMessage("'transferId' must not be the empty UUID.");
            RuleFor(command => command.FromAccountId).NotNull().WithMessage("'fromAccountId' is required.")
                .NotEqual(Guid.Empty).WithMessage("'fromAccountId' must not be the empty UUID.");
            RuleFor(command => command.ToAccountId).NotNull().WithMessage("'toAccountId' is required.")
                .NotEqual(Guid.Empty).WithMessage("'toAccountId' must not be the empty UUID.");
            RuleFor(command => command.Amount).ValidAmount();
            RuleFor(command => command.Reference).ValidReference();
        }
    }

    /// <summary>A transfer above its currency's approval threshold is held on the source for a supervisor's approval instead (four eyes).</summary>
    public sealed class Handler(NaturalKeyWrite once, AccountWriter writer, FourEyes fourEyes) : ICommandHandler<Command, object>
    {
        public async ValueTask<object> Handle(Command command, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(command);
            var fromId = command.FromAccountId!.Value;
            var toId = command.ToAccountId!.Value;
            if (fromId == toId)
            {
                throw new SameAccount(fromId);
            }

            var transferId = command.TransferId ?? Guid.CreateVersion7();
            var requester = fourEyes.Requester;
            var given = command.TransferId is null ? (Guid?)null : transferId;
            return await once.RunAsync<object>(
                async (session, token) => await session.LoadAsync<TransferReceipt>(transferId, token) is { } first ? Replay(first, command) : null,
                token => writer.RunAsync<object>([fromId, toId], given,
                    (book, now) => Decide(book, transferId, command, now, requester), token, holdId: given),
                cancellationToken);
        }

        /// <summary>
        /// The transfer on both accounts as the batch has them (both locked), or the first answer of its transfer id. The
        /// receipt's id is the transfer id: a transfer with the same id committed meanwhile elsewhere fails the insert,
        /// whatever its accounts.
        /// </summary>
        private AccountDecision Decide(AccountBook book, Guid transferId, Command command, DateTimeOffset now, string requester)
        {
            if (command.TransferId is not null && book.FindReceipt(transferId) is { } first)
            {
                return new RepeatDecision(Replay(first, command));
            }

            var (fromId, toId) = (command.FromAccountId!.Value, command.ToAccountId!.Value);
            var from = book.Find(fromId) ?? throw ProblemException.AccountNotFound(fromId);
            var to = book.Find(toId) ?? throw ProblemException.AccountNotFound(toId);
            var amountMinor = Rules.ToMinor(command.Amount.Validated(), Currency.Find(from.Currency), "amount");
            if (command.TransferId is not null && book.FindHold(transferId) is { } held)
            {
                return new RepeatDecision(ReplayPending(held, command, amountMinor));
            }

            var transfer = new Transfer(transferId, fromId, toId, amountMinor, command.Reference, now);
            if (fourEyes.Requires(from, amountMinor))
            {
                var placed = AccountDecider.RequestApproval(transfer, from, to, requester);
                return new AppendDecision([(fromId, placed)], Receipt: null,
                    ApprovalView.From(AccountDecider.EvolveHold(null, placed), AccountDecider.Evolve(from, placed)));
            }

            var transferred = AccountDecider.Decide(transfer, from, to);
            var receipt = new TransferReceipt(transferId, fromId, toId, amountMinor, transferred.Currency, transferred.Reference,
                AccountDecider.Evolve(from, transferred).BalanceMinor, AccountDecider.Evolve(to, transferred).BalanceMinor,
                transferred.OccurredAt);
            return new AppendDecision([(fromId, transferred), (toId, transferred)], receipt, TransferView.From(receipt));
        }

        /// <summary>
        /// A retry of a transfer that awaits (or awaited) approval gets the approval as it is now; other content, or a hold
        /// placed under this id, is a conflict.
        /// </summary>
        private static ApprovalView ReplayPending(Hold held, Command command, long amountMinor)
        {
            if (held.Purpose == HoldPurpose.TransferApproval && held.AccountId == command.FromAccountId && held.ToAccountId == command.ToAccountId &&
                held.AmountMinor == amountMinor && held.Reference == command.Reference)
            {
                return ApprovalView.From(held);
            }

            throw new ProblemException(Problems.TransferAlreadyExists,
                $"Transfer {held.HoldId} already exists with different accounts, amount or reference.");
        }

        /// <summary>
        /// A retry with the same transfer id and content gets the first response; other content is a conflict. An amount the
        /// currency cannot hold is invalid whether or not the id was used before: a 400, as on a first request.
        /// </summary>
        private static TransferView Replay(TransferReceipt existing, Command command)
        {
            var amountMinor = Rules.ToMinor(command.Amount.Validated(), Currency.Find(existing.Currency), "amount");
            if (existing.FromAccountId == command.FromAccountId && existing.ToAccountId == command.ToAccountId && amountMinor == existing.AmountMinor &&
                existing.Reference == command.Reference)
            {
                return TransferView.From(existing);
            }

            throw new ProblemException(Problems.TransferAlreadyExists,
                $"Transfer {existing.TransferId} already exists with different accounts, amount or reference.");
        }
    }

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapPost("/transfers", async (Command command, IMediator mediator, CancellationToken cancellationToken) =>
            {
                var answer = await mediator.Send(command with { Reference = Rules.Clean(command.Reference) }, cancellationToken);
                if (answer is ApprovalView pending)
                {
                    return (Results<Created<TransferView>, Accepted<ApprovalView>>)TypedResults.Accepted(pending.Location, pending);
                }

                var view = (TransferView)answer;
                return TypedResults.Created(TransferLocation(view.TransferId), view);
            })
            .Idempotent(StatusCodes.Status201Created, view => TransferLocation(((TransferView)view).TransferId))
            .WithName("Transfer")
            .WithSummary("Moves money between two accounts of one currency, atomically; above the approval threshold it awaits a supervisor (202).")
            .Produces<ApprovalView>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

    public static string TransferLocation(Guid transferId) => $"/api/v1/transfers/{transferId}";
}
