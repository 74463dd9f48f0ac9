using Ledger.Messaging.Consumers.Audit;
using Mediator;

namespace Ledger.Api.AuditLog;

/// <summary>
/// <c>GET /audit/status</c>: what the audit consumer (group <c>ledger-audit</c>) has recorded from Kafka: entries, accounts,
/// duplicates it ignored, and per account the stream versions it never received (a gap means lost or not-yet-delivered
/// messages; the contract promises versions without gaps).
/// </summary>
public static class GetAuditStatusEndpoint
{
    /// <param name="MissingCount">Every missing version of the account; <paramref name="MissingVersions"/> lists the first of them.</param>
    public sealed record GapView(Guid AccountId, long MissingCount, IReadOnlyList<long> MissingVersions);

    public sealed record AuditStatusView(
        long Entries,
        long Accounts,
        long DuplicatesIgnored,
        long Redeliveries,
        long OutOfOrder,
        long VersionConflicts,
        long AccountsWithGaps,
        IReadOnlyList<GapView> Gaps);

    public sealed record Query : IQuery<AuditStatusView>;

    public sealed class Handler(AuditLogStore store) : IQueryHandler<Query, AuditStatusView>
    {
        public async ValueTask<AuditStatusView> Handle(Query query, CancellationToken cancellationToken)
        {
            var status = await store.StatusAsync(cancellationToken);
            return new AuditStatusView(status.Entries, status.Accounts, status.DuplicatesIgnored, status.Redeliveries, status.OutOfOrder,
                status.VersionConflicts, status.AccountsWithGaps,
                status.Gaps.Select(gap => new GapView(gap.AccountId, gap.MissingCount, gap.MissingVersions)).ToList());
        }
    }

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGet("/audit/status", async (IMediator mediator, CancellationToken cancellationToken) =>
                TypedResults.Ok(await mediator.Send(new Query(), cancellationToken)))
            .WithName("GetAuditStatus")
            .WithSummary($"The audit log's entries, ignored duplicates and per-account version gaps (up to {AuditLogStore.GapAccountsMax} " +
                         $"accounts, the first {AuditLogStore.MissingVersionsPerAccountMax} missing versions each).");
}
