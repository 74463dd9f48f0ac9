using FluentValidation;
using Ledger.Api.Infrastructure;
using Ledger.Domain.Accounts;
using Ledger.Domain.Money;
using Mediator;

namespace Ledger.Api.Holds;

public static class PlaceHoldEndpoint
{
    /// <summary>The request body. <c>holdId</c> is the client's id for the hold (generated when absent); <c>expiresAt</c> is optional.</summary>
    public sealed record Request(Guid? HoldId, AmountInput? Amount, string? Reference, string? ExpiresAt);

    public sealed record Command(Guid AccountId, Guid? HoldId, AmountInput? Amount, string? Reference, string? ExpiresAt) : ICommand<HoldView>;

    public sealed class Validator : AbstractValidator<Command>
    {
        public Validator()
        {
            RuleFor(command => command.AccountId).NotEqual(Guid.Empty).WithMessage("'accountId' must not be the empty UUID.");
            RuleFor(command => command.HoldId).NotEqual(Guid.Empty).WithMessage("'holdId' must not be the empty UUID.");
            RuleFor(command => command.Amount).ValidAmount();
            RuleFor(command => command.Reference).ValidReference();
            RuleFor(command => command.ExpiresAt).ValidInstant();
        }
    }

    /// <summary>
    /// The hold id is the client's key for the placement, kept for good (ADR-004): a retry with the same content gets the hold
    /// as it is now (without the account), other content or another account a 409. A placement of the same id on another
    /// account that commits first fails this one's insert, which is then answered the same way.
    /// </summary>
    public sealed class Handler(NaturalKeyWrite once, HoldWriter holds) : ICommandHandler<Command, HoldView>
    {
        public async ValueTask<HoldView> Handle(Command command, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(command);
            var holdId = command.HoldId ?? Guid.CreateVersion7();
            var expiresAt = Instants.Validated(command.ExpiresAt);
            return await once.RunAsync(
                async (session, token) => await session.LoadAsync<Hold>(holdId, token) is { } first ? Repeat(first, command, expiresAt) : null,
                token => holds.RunAsync([command.AccountId], holdId, (book, now) =>
                    {
                        if (book.FindHold(holdId) is { } existing)
                        {
                            return new RepeatDecision(Repeat(existing, command, expiresAt));
                        }

                        var account = book.Find(command.AccountId) ?? throw ProblemException.AccountNotFound(command.AccountId);
                        var amountMinor = Rules.ToMinor(command.Amount.Validated(), Currency.Find(account.Currency), "amount");
                        var placed = AccountDecider.Decide(new PlaceHold(holdId, command.AccountId, amountMinor, command.Reference, expiresAt, now), account);
                        return HoldWriter.Decision(book, null, placed, command.AccountId);
                    },
                    token),
                cancellationToken);
        }

        private static HoldView Repeat(Hold existing, Command command, DateTimeOffset? expiresAt)
        {
            var amountMinor = Rules.ToMinor(command.Amount.Validated(), Currency.Find(existing.Currency), "amount");
            var sameExpiry = existing.ExpiresAt is null
                ? expiresAt is null
                : expiresAt is { } given && Math.Abs((given - existing.ExpiresAt.Value).Ticks) < TimeSpan.TicksPerMicrosecond;
            if (existing.AccountId == command.AccountId && existing.Purpose == HoldPurpose.Hold && existing.AmountMinor == amountMinor &&
                existing.Reference == command.Reference && sameExpiry)
            {
                return HoldView.From(existing);
            }

            throw new ProblemException(Problems.HoldAlreadyExists,
                $"Hold {existing.HoldId} already exists with a different account, amount, reference or expiry.");
        }
    }

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapPost("/accounts/{accountId}/holds",
                async (Guid accountId, Request request, IMediator mediator, CancellationToken cancellationToken) =>
                {
                    var view = await mediator.Send(new Command(accountId, request.HoldId, request.Amount, Rules.Clean(request.Reference),
                        Rules.Clean(request.ExpiresAt)), cancellationToken);
                    return TypedResults.Created(HoldView.LocationOf(view.AccountId, view.HoldId), view);
                })
            .Idempotent(StatusCodes.Status201Created, view => HoldView.LocationOf(((HoldView)view).AccountId, ((HoldView)view).HoldId))
            .WithName("PlaceHold")
            .WithSummary("Holds an amount of an account: it stays in the balance but is no longer available, until captured or released.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
}
