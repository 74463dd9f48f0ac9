using FluentValidation;
using Ledger.Api.Infrastructure;
using Ledger.Domain.Accounts;
using Mediator;

namespace Ledger.Api.Accounts.Deposit;

public static class DepositEndpoint
{
    public sealed record Request(AmountInput? Amount, string? Reference);

    public sealed record Command(Guid AccountId, AmountInput? Amount, string? Reference, long? ExpectedVersion) : ICommand<AccountView>;

    public sealed class Validator : AbstractValidator<Command>
    {
        public Validator()
        {
            RuleFor(command => command.Amount).ValidAmount();
            RuleFor(command => command.Reference).ValidReference();
        }
    }

    public sealed class Handler(AccountMovement movement) : ICommandHandler<Command, AccountView>
    {
        public async ValueTask<AccountView> Handle(Command command, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(command);
            return await movement.ApplyAsync(command.AccountId, command.Amount!.Value.Value!.Value, command.ExpectedVersion,
                (account, amountMinor, now) => AccountDecider.Decide(
                    new Domain.Accounts.Deposit(account.AccountId, amountMinor, command.Reference, now), account),
                cancellationToken);
        }
    }

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapPost("/accounts/{accountId}/deposits",
                async (Guid accountId, Request request, HttpRequest http, IMediator mediator, CancellationToken cancellationToken) =>
                {
                    var command = new Command(accountId, request.Amount, Rules.Clean(request.Reference), ETags.ParseIfMatch(http));
                    var view = await mediator.Send(command, cancellationToken);
                    http.HttpContext.Response.Headers.ETag = ETags.Of(view.Version);
                    return TypedResults.Ok(view);
                })
            .Idempotent(StatusCodes.Status200OK)
            .WithName("Deposit")
            .WithSummary("Credits an account.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
}
