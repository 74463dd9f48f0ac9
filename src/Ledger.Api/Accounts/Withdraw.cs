using Ledger.Api.Approvals;
using Ledger.Api.Infrastructure;
using Ledger.Domain.Accounts;
using Mediator;

namespace Ledger.Api.Accounts;

public static class WithdrawEndpoint
{
    public sealed record Command(Guid AccountId, AmountInput? Amount, string? Reference, long? ExpectedVersion) : IMovementCommand;

    public sealed class Validator : MovementValidator<Command>;

    /// <summary>A withdrawal above its currency's approval threshold is held for a supervisor's approval instead (four eyes).</summary>
    public sealed class Handler(AccountMovement movement, FourEyes fourEyes) : ICommandHandler<Command, object>
    {
        public async ValueTask<object> Handle(Command command, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(command);
            var requester = fourEyes.Requester;
            return await movement.ApplyAsync(command.AccountId, command.Amount.Validated(), command.ExpectedVersion,
                (account, amountMinor, now) =>
                {
                    var withdrawal = new Withdraw(account.AccountId, amountMinor, command.Reference, now);
                    return fourEyes.Requires(account, amountMinor)
                        ? AccountDecider.RequestApproval(withdrawal, account, Guid.CreateVersion7(), requester)
                        : AccountDecider.Decide(withdrawal, account);
                },
                cancellationToken);
        }
    }

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapMovement("/accounts/{accountId}/withdrawals",
                (accountId, request, expectedVersion) => new Command(accountId, request.Amount, request.Reference, expectedVersion))
            .WithName("Withdraw")
            .WithSummary("Debits an account, within what is available (balance plus overdraft limit minus holds); above the approval threshold it awaits a supervisor (202).")
            .Produces<ApprovalView>(StatusCodes.Status202Accepted);
}
