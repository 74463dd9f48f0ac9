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

    public sealed class Handler(NaturalKeyWrite once, AccountWriter writer) : ICommandHandler<Command, TransferView>
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
                async (session, token) => await session.LoadAsync<TransferReceipt>(transferId, token) is { } first ? Replay(first, command) : null,
                token => writer.RunAsync<TransferView>([fromId, toId], command.TransferId is null ? null : transferId,
                    (book, now) => Decide(book, transferId, command, now), token),
                cancellationToken);
        }

        /// <summary>
        /// The transfer on both accounts as the batch has them (both locked), or the first answer of its transfer id. The
        /// receipt's id is the transfer id: a transfer with the same id committed meanwhile elsewhere fails the insert,
        /// whatever its accounts.
        /// </summary>
        private static AccountDecision Decide(AccountBook book, Guid transferId, Command command, DateTimeOffset now)
        {
            if (command.TransferId is not null && book.FindReceipt(transferId) is { } first)
            {
                return new RepeatDecision(Replay(first, command));
            }

            var (fromId, toId) = (command.FromAccountId!.Value, command.ToAccountId!.Value);
            var from = book.Find(fromId) ?? throw ProblemException.AccountNotFound(fromId);
            var to = book.Find(toId) ?? throw ProblemException.AccountNotFound(toId);
            var amountMinor = Rules.ToMinor(command.Amount.Validated(), Currency.Find(from.Currency), "amount");
            var transferred = AccountDecider.Decide(new Transfer(transferId, fromId, toId, amountMinor, command.Reference, now), from, to);
            var receipt = new TransferReceipt(transferId, fromId, toId, amountMinor, transferred.Currency, transferred.Reference,
                AccountDecider.Evolve(from, transferred).BalanceMinor, AccountDecider.Evolve(to, transferred).BalanceMinor,
                transferred.OccurredAt);
            return new AppendDecision([(fromId, transferred), (toId, transferred)], receipt, TransferView.From(receipt));
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
