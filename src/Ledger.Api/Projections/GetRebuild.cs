using Ledger.Api.Infrastructure;
using Ledger.EventStore.Projections;
using Mediator;

namespace Ledger.Api.Projections;

/// <summary><c>GET /projections/{name}/rebuilds/{rebuildId}</c>: state, progress, start and end, events per second.</summary>
public static class GetRebuildEndpoint
{
    public sealed record Query(string Name, Guid RebuildId) : IQuery<RebuildView>;

    public sealed class Handler(ProjectionCatalog catalog, RebuildJournal journal) : IQueryHandler<Query, RebuildView>
    {
        public async ValueTask<RebuildView> Handle(Query query, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(query);
            var projection = catalog.Require(query.Name);
            var record = await journal.FindAsync(query.RebuildId, cancellationToken);
            return record is not null && record.Projection == projection.Name
                ? RebuildView.From(record)
                : throw new ProblemException(Problems.RebuildNotFound, $"Projection {projection.Name} has no rebuild {query.RebuildId}.");
        }
    }

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGet("/projections/{name}/rebuilds/{rebuildId:guid}",
                async (string name, Guid rebuildId, IMediator mediator, CancellationToken cancellationToken) =>
                    TypedResults.Ok(await mediator.Send(new Query(name, rebuildId), cancellationToken)))
            .WithName("GetRebuild")
            .WithSummary("State, progress, start and finish times and events per second of one rebuild.")
            .ProducesProblem(StatusCodes.Status404NotFound);
}
