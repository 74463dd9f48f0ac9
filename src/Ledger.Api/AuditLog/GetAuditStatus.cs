using Ledger.AuditLog;
using Mediator;

namespace Ledger.Api.AuditLog;

/// <summary>
/// <c>GET /audit/status</c>: what the audit consumer (group <c>ledger-audit</c>) has recorded from Kafka: entries, accounts,
/// duplicates it ignored, and per account the stream versions it never received (a gap means lost or not-yet-delivered
/// messages; the contract promises versions without gaps).
/// </summary>
public static class GetAuditStatusEndpoint
{
    public sealed record Query : IQuery<AuditStatus>;

    /// <summary>The store's status is the response as it is: one shape, documented where it is computed.</summary>
    public sealed class Handler(AuditLogStore store) : IQueryHandler<Query, AuditStatus>
    {
        public async ValueTask<AuditStatus> Handle(Query query, CancellationToken cancellationToken) =>
            await store.StatusAsync(cancellationToken);
    }

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGet("/audit/status", async (IMediator mediator, CancellationToken cancellationToken) =>
                TypedResults.Ok(await mediator.Send(new Query(), cancellationToken)))
            .WithName("GetAuditStatus")
            .WithSummary($"The audit log's entries, ignored duplicates and per-account version gaps (up to {AuditLogStore.GapAccountsMax} " +
                         $"accounts, the first {AuditLogStore.MissingVersionsPerAccountMax} missing versions each).");
}
