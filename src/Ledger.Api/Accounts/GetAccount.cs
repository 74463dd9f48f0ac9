using FluentValidation;
using Ledger.Api.Infrastructure;
using Ledger.EventStore.Audit;
using Mediator;

namespace Ledger.Api.Accounts;

/// <summary>The account now, as of an instant (<c>asOf</c>), or after a stream version (<c>atVersion</c>).</summary>
public static class GetAccountEndpoint
{
    /// <summary>The parameters as sent; at most one of <c>asOf</c> and <c>atVersion</c>.</summary>
    public sealed record Query(Guid AccountId, string? AsOf, long? AtVersion) : IQuery<AccountView>
    {
        public bool IsCurrent => string.IsNullOrEmpty(AsOf) && AtVersion is null;
    }

    public sealed class Validator : QueryValidator<Query>
    {
        public Validator() =>
            RuleFor(query => query.AsOf).ValidInstant()
                .Must((query, asOf) => string.IsNullOrEmpty(asOf) || query.AtVersion is null)
                .WithMessage("Give either 'asOf' or 'atVersion', not both.");
    }

    public sealed class Handler(AuditQueries audit) : IQueryHandler<Query, AccountView>
    {
        public async ValueTask<AccountView> Handle(Query query, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(query);
            var latest = await audit.LatestAsync(query.AccountId, cancellationToken)
                         ?? throw ProblemException.AccountNotFound(query.AccountId);
            // The account's current version is stored state, so this check stays out of the validator.
            if (query.AtVersion is { } version)
            {
                if (version < 1 || version > latest.Version)
                {
                    throw Invalid.Parameter("atVersion", $"'atVersion' must be between 1 and {latest.Version}, the account's current version.");
                }

                return AccountView.From((await audit.AtVersionAsync(query.AccountId, version, cancellationToken))!);
            }

            if (Instants.Validated(query.AsOf) is { } instant && instant < latest.State.UpdatedAt)
            {
                var then = await audit.AsOfAsync(query.AccountId, instant, cancellationToken)
                           ?? throw new ProblemException(Problems.AccountNotYetCreated,
                               $"Account {query.AccountId} was created at {latest.State.CreatedAt:O}, after {instant:O}.");
                return AccountView.From(then);
            }

            return AccountView.From(latest);
        }
    }

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGet("/accounts/{accountId}",
                async (Guid accountId, string? asOf, long? atVersion, IMediator mediator, HttpResponse response, CancellationToken cancellationToken) =>
                {
                    var query = new Query(accountId, asOf, atVersion);
                    var view = await mediator.Send(query, cancellationToken);
                    if (query.IsCurrent)
                    {
                        response.Headers.ETag = ETags.Of(view.Version);
                    }

                    return TypedResults.Ok(view);
                })
            .WithName("GetAccount")
            .WithSummary("Reads an account now (ETag = its version), as of an instant, or after a version.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
}
