using FluentValidation;
using Ledger.Api.Infrastructure;
using Ledger.Domain.Accounts;
using Ledger.Domain.Money;
using Ledger.EventStore.Transfers;
using Marten;
using Mediator;

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
    /// <summary>The request body, bound as it is; the reference is trimmed before validation.</summary>
    public sealed record Command(Guid? TransferId, Guid? FromAccountId, Guid? ToAccountId, AmountInput? Amount, string? Reference)
        : ICommand<TransferView>;

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

    public sealed class Handler(NaturalKeyWrite once, CommandCommit commit, TimeProvider clock) : ICommandHandler<Command, TransferView>
    {
        public async ValueTask<TransferView> Handle(Command command, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(command);
            var fromId = command.FromAccountId!.Value;
            var toId = command.ToAccountId!.Value;
            if (fromId == toId)
            {
                throw new SameAccount(fromId);
            }

            var transferId = command.TransferId ?? Guid.CreateVersion7();
            return await once.RunAsync(
                async (session, token) => command.TransferId is not null && await session.LoadAsync<TransferReceipt>(transferId, token) is { } first
                    ? Replay(first, command)
                    : null,
                (session, token) => TransferAsync(session, transferId, command, token),
                cancellationToken);
        }

        private async Task<TransferView> TransferAsync(IDocumentSession session, Guid transferId, Command command, CancellationToken cancellationToken)
        {
            var (fromId, toId) = (command.FromAccountId!.Value, command.ToAccountId!.Value);
            // Locks are always taken in ascending id order, so two opposite transfers cannot deadlock.
            var (firstId, secondId) = fromId.CompareTo(toId) < 0 ? (fromId, toId) : (toId, fromId);
            var first = await session.Events.FetchForExclusiveWriting<Account>(firstId, cancellationToken);
            var second = await session.Events.FetchForExclusiveWriting<Account>(secondId, cancellationToken);
            var (fromStream, toStream) = firstId == fromId ? (first, second) : (second, first);

            var from = fromStream.Aggregate ?? throw ProblemException.AccountNotFound(fromId);
            var to = toStream.Aggregate ?? throw ProblemException.AccountNotFound(toId);
            var amountMinor = Rules.ToMinor(command.Amount.Validated(), Currency.Find(from.Currency), "amount");
            var transferred = AccountDecider.Decide(
                new Transfer(transferId, fromId, toId, amountMinor, command.Reference, clock.GetUtcNow()), from, to);
            fromStream.AppendOne(transferred);
            toStream.AppendOne(transferred);
            // The receipt's id is the transfer id: a concurrent transfer with the same id fails here, whatever its accounts.
            var receipt = new TransferReceipt(transferId, fromId, toId, amountMinor, transferred.Currency, transferred.Reference,
                AccountDecider.Evolve(from, transferred).BalanceMinor, AccountDecider.Evolve(to, transferred).BalanceMinor,
                transferred.OccurredAt);
            session.Insert(receipt);
            var view = TransferView.From(receipt);
            await commit.SaveAsync(session, view, cancellationToken);
            return view;
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
                var view = await mediator.Send(command with { Reference = Rules.Clean(command.Reference) }, cancellationToken);
                return TypedResults.Created(TransferLocation(view.TransferId), view);
            })
            .Idempotent(StatusCodes.Status201Created, view => TransferLocation(((TransferView)view).TransferId))
            .WithName("Transfer")
            .WithSummary("Moves money between two accounts of one currency, atomically.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

    public static string TransferLocation(Guid transferId) => $"/api/v1/transfers/{transferId}";
}
