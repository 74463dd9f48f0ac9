using FluentValidation;
using Ledger.Api.Approvals;
using Ledger.Api.Infrastructure;
using Ledger.Domain.Accounts;
using Ledger.Domain.Money;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ledger.Api.Accounts;

/// <summary>The body of a deposit or a withdrawal.</summary>
public sealed record MovementRequest(AmountInput? Amount, string? Reference);

/// <summary>
/// What deposits and withdrawals have in common, for their shared validation and endpoint shape. The answer is the
/// <see cref="AccountView"/> after the movement, or an <see cref="ApprovalView"/> for a withdrawal that awaits approval.
/// </summary>
public interface IMovementCommand : ICommand<object>
{
    Guid AccountId { get; }

    AmountInput? Amount { get; }

    string? Reference { get; }

    long? ExpectedVersion { get; }
}

public abstract class MovementValidator<TCommand> : AbstractValidator<TCommand>
    where TCommand : IMovementCommand
{
    protected MovementValidator()
    {
        RuleFor(command => command.AccountId).NotEqual(Guid.Empty).WithMessage("'accountId' must not be the empty UUID.");
        RuleFor(command => command.Amount).ValidAmount();
        RuleFor(command => command.Reference).ValidReference();
    }
}

public static class MovementEndpoints
{
    /// <summary>
    /// <c>POST {pattern}</c> with a <see cref="MovementRequest"/> and an optional <c>If-Match</c>: 200 with the account view
    /// after the movement and its <c>ETag</c>, or 202 with the approval it awaits (four eyes) and its <c>Location</c>.
    /// </summary>
    public static RouteHandlerBuilder MapMovement<TCommand>(this IEndpointRouteBuilder routes, string pattern,
        Func<Guid, MovementRequest, long?, TCommand> command)
        where TCommand : IMovementCommand =>
        routes.MapPost(pattern,
                async (Guid accountId, MovementRequest request, HttpRequest http, IMediator mediator, CancellationToken cancellationToken) =>
                {
                    var answer = await mediator.Send(command(accountId, request with { Reference = Rules.Clean(request.Reference) },
                        ETags.ParseIfMatch(http)), cancellationToken);
                    if (answer is ApprovalView pending)
                    {
                        return (Results<Ok<AccountView>, Accepted<ApprovalView>>)TypedResults.Accepted(pending.Location, pending);
                    }

                    var view = (AccountView)answer;
                    http.HttpContext.Response.Headers.ETag = ETags.Of(view.Version);
                    return TypedResults.Ok(view);
                })
            .Idempotent(StatusCodes.Status200OK)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
}

/// <summary>
/// The write path shared by deposits and withdrawals: in the account's group commit, check the optional expected version,
/// convert the amount with the account's currency, decide and append. A decision to hold the amount for approval is
/// answered with the approval; any other with the account after it.
/// </summary>
public sealed class AccountMovement(AccountWriter writer)
{
    public Task<object> ApplyAsync(Guid accountId, decimal amount, long? expectedVersion,
        Func<Account, long, DateTimeOffset, IAccountEvent> decide, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decide);
        return writer.RunAsync<object>([accountId], receiptId: null, (book, now) =>
            {
                var account = Locked(book, accountId, expectedVersion);
                var amountMinor = Rules.ToMinor(amount, Currency.Find(account.Currency), "amount");
                var @event = decide(account, amountMinor, now);
                var after = AccountDecider.Evolve(account, @event);
                object answer = @event is HoldPlaced placed ? ApprovalView.From(AccountDecider.EvolveHold(null, placed), after) : AccountView.From(after);
                return new AppendDecision([(accountId, @event)], Receipt: null, answer);
            },
            cancellationToken);
    }

    /// <summary>
    /// The account as the batch has it, which holds its lock, so it includes every committed event (ADR-003, ADR-018); a
    /// 412 if <paramref name="expectedVersion"/> (<c>If-Match</c>) is given and differs.
    /// </summary>
    public static Account Locked(AccountBook book, Guid accountId, long? expectedVersion)
    {
        ArgumentNullException.ThrowIfNull(book);
        var account = book.Find(accountId) ?? throw ProblemException.AccountNotFound(accountId);
        if (expectedVersion is { } expected && expected != account.Version)
        {
            throw new ProblemException(Problems.VersionMismatch,
                $"Account {accountId} is at version {account.Version}, not {expected} as given in If-Match.");
        }

        return account;
    }
}
