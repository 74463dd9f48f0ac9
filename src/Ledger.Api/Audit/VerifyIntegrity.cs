using System.Text.Json.Serialization;
using Ledger.Api.Infrastructure;
using Ledger.Api.Security;
using Ledger.EventStore.Audit;
using Mediator;

namespace Ledger.Api.Audit;

/// <summary><c>GET /accounts/{id}/integrity</c> and <c>GET /ledger/integrity</c>: hash chains recomputed from the stored events.</summary>
public static class VerifyIntegrityEndpoint
{
    public sealed record AccountIntegrity(
        Guid AccountId,
        bool Valid,
        long Events,
        string HeadHash,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? FirstInvalidVersion,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Problem);

    public sealed record LedgerIntegrityView(bool Valid, long Streams, long Events, long BrokenStreams, IReadOnlyList<AccountIntegrity> Broken);

    public sealed record AccountQuery(Guid AccountId) : IQuery<AccountIntegrity>;

    public sealed record LedgerQuery : IQuery<LedgerIntegrityView>;

    public sealed class Handler(IntegrityVerifier verifier) : IQueryHandler<AccountQuery, AccountIntegrity>, IQueryHandler<LedgerQuery, LedgerIntegrityView>
    {
        public async ValueTask<AccountIntegrity> Handle(AccountQuery query, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(query);
            var result = await verifier.VerifyAccountAsync(query.AccountId, cancellationToken)
                         ?? throw ProblemException.AccountNotFound(query.AccountId);
            return View(result);
        }

        public async ValueTask<LedgerIntegrityView> Handle(LedgerQuery query, CancellationToken cancellationToken)
        {
            var result = await verifier.VerifyLedgerAsync(cancellationToken);
            return new LedgerIntegrityView(result.Valid, result.Streams, result.Events, result.BrokenStreams, result.Broken.Select(View).ToList());
        }

        private static AccountIntegrity View(StreamIntegrity stream) =>
            new(stream.AccountId, stream.Valid, stream.Events, stream.HeadHash, stream.FirstInvalidVersion, stream.Problem);
    }

    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet("/accounts/{accountId}/integrity", async (Guid accountId, IMediator mediator, CancellationToken cancellationToken) =>
                TypedResults.Ok(await mediator.Send(new AccountQuery(accountId), cancellationToken)))
            .WithName("VerifyAccountIntegrity")
            .WithSummary("Recomputes the account's hash chain from its stored events.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        routes.MapGet("/ledger/integrity", async (IMediator mediator, CancellationToken cancellationToken) =>
                TypedResults.Ok(await mediator.Send(new LedgerQuery(), cancellationToken)))
            .RequireRateLimiting(RateLimits.Expensive)
            .WithName("VerifyLedgerIntegrity")
            .WithSummary($"Walks every stream's hash chain; lists up to {IntegrityVerifier.BrokenListMax} broken streams.");
    }
}
