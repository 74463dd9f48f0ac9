using FluentValidation;
using Ledger.Api.Infrastructure;
using Ledger.Domain.Accounts;
using Mediator;

namespace Ledger.Api.Accounts;

/// <summary>The body of a freeze, an unfreeze or a closing. <c>alertId</c> is for a freeze a fraud rule asked for.</summary>
public sealed record StatusChangeRequest(string? Reason, Guid? AlertId = null);

/// <summary>
/// Freezing, unfreezing and closing an account: each decided by the domain on the account as its group commit has it
/// (locked), answered with the account after the change and its <c>ETag</c>.
/// </summary>
public static class AccountLifecycleEndpoints
{
    public sealed record Freeze(Guid AccountId, string? Reason, Guid? AlertId, long? ExpectedVersion) : ICommand<AccountView>;

    public sealed record Unfreeze(Guid AccountId, string? Reason, long? ExpectedVersion) : ICommand<AccountView>;

    public sealed record Close(Guid AccountId, string? Reason, long? ExpectedVersion) : ICommand<AccountView>;

    public sealed class FreezeValidator : AbstractValidator<Freeze>
    {
        public FreezeValidator()
        {
            RuleFor(command => command.AccountId).NotEqual(Guid.Empty).WithMessage("'accountId' must not be the empty UUID.");
            RuleFor(command => command.Reason).NotEmpty().WithMessage("'reason' is required.").ValidReference();
            RuleFor(command => command.AlertId).NotEqual(Guid.Empty).WithMessage("'alertId' must not be the empty UUID.");
        }
    }

    public sealed class UnfreezeValidator : AbstractValidator<Unfreeze>
    {
        public UnfreezeValidator()
        {
            RuleFor(command => command.AccountId).NotEqual(Guid.Empty).WithMessage("'accountId' must not be the empty UUID.");
            RuleFor(command => command.Reason).NotEmpty().WithMessage("'reason' is required.").ValidReference();
        }
    }

    public sealed class CloseValidator : AbstractValidator<Close>
    {
        public CloseValidator()
        {
            RuleFor(command => command.AccountId).NotEqual(Guid.Empty).WithMessage("'accountId' must not be the empty UUID.");
            RuleFor(command => command.Reason).ValidReference();
        }
    }

    public sealed class Handler(AccountStatusChange change) :
        ICommandHandler<Freeze, AccountView>, ICommandHandler<Unfreeze, AccountView>, ICommandHandler<Close, AccountView>
    {
        public ValueTask<AccountView> Handle(Freeze command, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(command);
            return new(change.ApplyAsync(command.AccountId, command.ExpectedVersion,
                (account, now) => AccountDecider.Decide(new FreezeAccount(account.AccountId, command.Reason!, command.AlertId, now), account),
                cancellationToken));
        }

        public ValueTask<AccountView> Handle(Unfreeze command, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(command);
            return new(change.ApplyAsync(command.AccountId, command.ExpectedVersion,
                (account, now) => AccountDecider.Decide(new UnfreezeAccount(account.AccountId, command.Reason!, now), account),
                cancellationToken));
        }

        public ValueTask<AccountView> Handle(Close command, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(command);
            return new(change.ApplyAsync(command.AccountId, command.ExpectedVersion,
                (account, now) => AccountDecider.Decide(new CloseAccount(account.AccountId, command.Reason, now), account),
                cancellationToken));
        }
    }

    /// <summary><c>POST /accounts/{id}/freeze</c>, under the freeze policy (tellers, supervisors and the fraud service).</summary>
    public static void MapFreeze(IEndpointRouteBuilder routes) =>
        MapChange(routes, "/accounts/{accountId}/freeze",
                (accountId, request, expected) => new Freeze(accountId, request.Reason, request.AlertId, expected))
            .WithName("FreezeAccount")
            .WithSummary("Freezes an account: debits, new holds and captures are refused until it is unfrozen; credits are accepted.");

    /// <summary><c>POST /accounts/{id}/unfreeze</c> and <c>/close</c>, under the policy of tellers.</summary>
    public static void Map(IEndpointRouteBuilder routes)
    {
        MapChange(routes, "/accounts/{accountId}/unfreeze",
                (accountId, request, expected) => new Unfreeze(accountId, request.Reason, expected))
            .WithName("UnfreezeAccount")
            .WithSummary("Unfreezes a frozen account, with a reason.");
        MapChange(routes, "/accounts/{accountId}/close",
                (accountId, request, expected) => new Close(accountId, request.Reason, expected))
            .WithName("CloseAccount")
            .WithSummary("Closes an account with a zero balance and no open hold; afterwards it takes no command, its history stays readable.");
    }

    private static RouteHandlerBuilder MapChange<TCommand>(IEndpointRouteBuilder routes, string pattern,
        Func<Guid, StatusChangeRequest, long?, TCommand> command)
        where TCommand : ICommand<AccountView> =>
        routes.MapPost(pattern,
                async (Guid accountId, StatusChangeRequest request, HttpRequest http, IMediator mediator, CancellationToken cancellationToken) =>
                {
                    var view = await mediator.Send(command(accountId, request with { Reason = Rules.Clean(request.Reason) }, ETags.ParseIfMatch(http)),
                        cancellationToken);
                    http.HttpContext.Response.Headers.ETag = ETags.Of(view.Version);
                    return TypedResults.Ok(view);
                })
            .Idempotent(StatusCodes.Status200OK)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
}

/// <summary>
/// The write path of a status change: in the account's group commit, check the optional expected version, decide and
/// append. Shared by freezes, unfreezes and closings.
/// </summary>
public sealed class AccountStatusChange(AccountWriter writer)
{
    public Task<AccountView> ApplyAsync(Guid accountId, long? expectedVersion, Func<Account, DateTimeOffset, IAccountEvent> decide,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decide);
        return writer.RunAsync<AccountView>([accountId], receiptId: null, (book, now) =>
            {
                var account = AccountMovement.Locked(book, accountId, expectedVersion);
                var @event = decide(account, now);
                return new AppendDecision([(accountId, @event)], Receipt: null, AccountView.From(AccountDecider.Evolve(account, @event)));
            },
            cancellationToken);
    }
}
