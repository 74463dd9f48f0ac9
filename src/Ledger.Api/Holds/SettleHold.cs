using FluentValidation;
using Ledger.Api.Infrastructure;
using Ledger.Domain.Accounts;
using Ledger.Domain.Money;
using Mediator;

namespace Ledger.Api.Holds;

/// <summary>Capturing and releasing a hold: the second phase of a two-phase movement.</summary>
public static class SettleHoldEndpoints
{
    /// <summary>The capture's body: all optional. No amount captures the whole hold; no <c>toAccountId</c> takes the money out of the ledger.</summary>
    public sealed record CaptureRequest(AmountInput? Amount, Guid? ToAccountId, string? Reference);

    public sealed record Capture(Guid AccountId, Guid HoldId, AmountInput? Amount, Guid? ToAccountId, string? Reference) : ICommand<HoldView>;

    public sealed record Release(Guid AccountId, Guid HoldId) : ICommand<HoldView>;

    public sealed class CaptureValidator : AbstractValidator<Capture>
    {
        public CaptureValidator()
        {
            RuleFor(command => command.AccountId).NotEqual(Guid.Empty).WithMessage("'accountId' must not be the empty UUID.");
            RuleFor(command => command.HoldId).NotEqual(Guid.Empty).WithMessage("'holdId' must not be the empty UUID.");
            RuleFor(command => command.Amount).ValidAmount().When(command => command.Amount is not null);
            RuleFor(command => command.ToAccountId).NotEqual(Guid.Empty).WithMessage("'toAccountId' must not be the empty UUID.");
            RuleFor(command => command.Reference).ValidReference();
        }
    }

    public sealed class Handler(HoldWriter holds) : ICommandHandler<Capture, HoldView>, ICommandHandler<Release, HoldView>
    {
        public async ValueTask<HoldView> Handle(Capture command, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(command);
            IReadOnlyList<Guid> accounts = command.ToAccountId is { } to ? [command.AccountId, to] : [command.AccountId];
            return await holds.RunAsync(accounts, command.HoldId, (book, now) =>
                {
                    var from = book.Find(command.AccountId) ?? throw ProblemException.AccountNotFound(command.AccountId);
                    var hold = HoldWriter.Find(book, command.AccountId, command.HoldId);
                    var destination = command.ToAccountId is { } toId ? book.Find(toId) ?? throw ProblemException.AccountNotFound(toId) : null;
                    long? amountMinor = command.Amount is null ? null : Rules.ToMinor(command.Amount.Validated(), Currency.Find(from.Currency), "amount");
                    var captured = AccountDecider.Decide(new CaptureHold(command.HoldId, amountMinor, command.ToAccountId, command.Reference, now),
                        hold, from, destination);
                    return HoldWriter.Decision(book, hold, captured, command.AccountId, command.ToAccountId);
                },
                cancellationToken);
        }

        public async ValueTask<HoldView> Handle(Release command, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(command);
            return await holds.RunAsync([command.AccountId], command.HoldId, (book, now) =>
                {
                    var account = book.Find(command.AccountId) ?? throw ProblemException.AccountNotFound(command.AccountId);
                    var hold = HoldWriter.Find(book, command.AccountId, command.HoldId);
                    var released = AccountDecider.Decide(new ReleaseHold(command.HoldId, ReleaseReasons.Released, now), hold, account);
                    return HoldWriter.Decision(book, hold, released, command.AccountId);
                },
                cancellationToken);
        }
    }

    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapPost("/accounts/{accountId}/holds/{holdId}/capture",
                async (Guid accountId, Guid holdId, CaptureRequest? request, IMediator mediator, CancellationToken cancellationToken) =>
                    TypedResults.Ok(await mediator.Send(new Capture(accountId, holdId, request?.Amount, request?.ToAccountId,
                        Rules.Clean(request?.Reference)), cancellationToken)))
            .Idempotent(StatusCodes.Status200OK)
            .WithName("CaptureHold")
            .WithSummary("Captures an open hold, in full or in part, out of the ledger or to another account of its currency; the rest is released.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        routes.MapPost("/accounts/{accountId}/holds/{holdId}/release",
                async (Guid accountId, Guid holdId, IMediator mediator, CancellationToken cancellationToken) =>
                    TypedResults.Ok(await mediator.Send(new Release(accountId, holdId), cancellationToken)))
            .Idempotent(StatusCodes.Status200OK)
            .WithName("ReleaseHold")
            .WithSummary("Releases an open hold: the amount is available again and no money moves.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
    }
}
