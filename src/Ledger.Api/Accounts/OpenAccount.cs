using FluentValidation;
using Ledger.Api.Infrastructure;
using Ledger.Domain.Accounts;
using Ledger.Domain.Money;
using Marten;
using Mediator;

namespace Ledger.Api.Accounts;

public static class OpenAccountEndpoint
{
    /// <summary>The request body, bound as it is; the owner is trimmed before validation.</summary>
    public sealed record Command(Guid? AccountId, string? Owner, string? Currency, AmountInput? OverdraftLimit) : ICommand<AccountView>;

    public sealed class Validator : AbstractValidator<Command>
    {
        public Validator()
        {
            RuleFor(command => command.AccountId).NotEqual(Guid.Empty).WithMessage("'accountId' must not be the empty UUID.");
            RuleFor(command => command.Owner).NotEmpty().WithMessage("'owner' is required.")
                .MaximumLength(Rules.OwnerLengthMax)
                .VisibleText();
            RuleFor(command => command.Currency).NotEmpty().WithMessage("'currency' is required.")
                .Must(code => code is null || Currency.TryFind(code, out _))
                .WithMessage("'currency' must be a known ISO 4217 alphabetic code in upper case, such as EUR.");
            RuleFor(command => command.OverdraftLimit)
                .Must(limit => limit is null || limit.Value.IsReadable)
                .WithMessage("'overdraftLimit' must be a JSON number or a string holding a plain decimal number, such as \"100.00\".")
                .Must(limit => limit?.Value is not { } value || value >= 0).WithMessage("'overdraftLimit' must be 0 or more.")
                .Must(limit => limit?.Value is not { } value || value <= MinorUnits.AmountMaxMajor)
                .WithMessage($"'overdraftLimit' must be at most {MinorUnits.AmountMaxMajor:0.00}.");
            RuleFor(command => command.OverdraftLimit)
                .Must((command, limit) => limit?.Value is not { } value || !Currency.TryFind(command.Currency, out var currency) ||
                                          MinorUnits.TryFromMajor(value, currency, out _))
                .WithMessage(command => $"'overdraftLimit' has more fractional digits than {command.Currency} allows.");
        }
    }

    public sealed class Handler(NaturalKeyWrite once, LedgerSessions sessions, CommandCommit commit, TimeProvider clock)
        : ICommandHandler<Command, AccountView>
    {
        public async ValueTask<AccountView> Handle(Command command, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(command);
            var currency = Currency.Find(command.Currency!);
            var open = new OpenAccount(
                command.AccountId ?? Guid.CreateVersion7(), command.Owner!,
                currency.Code, command.OverdraftLimit?.Value is { } limit ? Rules.ToMinor(limit, currency, "overdraftLimit") : 0,
                clock.GetUtcNow());
            return await once.RunAsync(
                (session, token) => FirstAsync(session, open, token),
                async token =>
                {
                    // Opening starts a new stream: no lock to take, the stream's primary key refuses a second one (ADR-003).
                    await using var session = sessions.OpenWriteSession();
                    if (await FirstAsync(session, open, token) is { } first)
                    {
                        return await commit.ReplayAsync(first, token);
                    }

                    var created = AccountDecider.Decide(open);
                    session.Events.StartStream<Account>(created.AccountId, created);
                    var view = AccountView.From(AccountDecider.Evolve(null, created));
                    await commit.SaveAsync(session, view, token);
                    return view;
                },
                cancellationToken);
        }

        /// <summary>The account's first answer when it was opened with this content; other content is a conflict.</summary>
        private static async Task<AccountView?> FirstAsync(IQuerySession session, OpenAccount open, CancellationToken cancellationToken)
        {
            var first = await session.Events.FetchStreamAsync(open.AccountId, version: 1, token: cancellationToken);
            if (first.Count == 0)
            {
                return null;
            }

            if (first[0].Data is AccountCreated created && created.Owner == open.Owner && created.Currency == open.Currency &&
                created.OverdraftLimitMinor == open.OverdraftLimitMinor)
            {
                return AccountView.From(AccountDecider.Evolve(null, created));
            }

            throw new ProblemException(Problems.AccountAlreadyExists,
                $"Account {open.AccountId} already exists with a different owner, currency or overdraft limit.");
        }
    }

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapPost("/accounts", async (Command command, IMediator mediator, CancellationToken cancellationToken) =>
            {
                var view = await mediator.Send(command with { Owner = Rules.Clean(command.Owner) }, cancellationToken);
                return TypedResults.Created(AccountView.LocationOf(view.AccountId), view);
            })
            .Idempotent(StatusCodes.Status201Created, view => AccountView.LocationOf(((AccountView)view).AccountId))
            .WithName("OpenAccount")
            .WithSummary("Opens an account.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
}
