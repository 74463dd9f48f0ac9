using Ledger.Api.Infrastructure;
using Ledger.Domain.Accounts;
using Mediator;

namespace Ledger.Api.Accounts;

public static class DepositEndpoint
{
    public sealed record Command(Guid AccountId, AmountInput? Amount, string? Reference, long? ExpectedVersion) : IMovementCommand;

    public sealed class Validator : MovementValidator<Command>;

    public sealed class Handler(AccountMovement movement) : ICommandHandler<Command, object>
    {
        public async ValueTask<object> Handle(Command command, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(command);
            return await movement.ApplyAsync(command.AccountId, command.Amount.Validated(), command.ExpectedVersion,
                (account, amountMinor, now) => AccountDecider.Decide(
                    new Deposit(account.AccountId, amountMinor, command.Reference, now), account),
                cancellationToken);
        }
    }

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapMovement("/accounts/{accountId}/deposits",
                (accountId, request, expectedVersion) => new Command(accountId, request.Amount, request.Reference, expectedVersion))
            .WithName("Deposit")
            .WithSummary("Credits an account.");
}
