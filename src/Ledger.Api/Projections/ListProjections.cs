using Ledger.EventStore.Projections;
using Mediator;
using Npgsql;

namespace Ledger.Api.Projections;

/// <summary><c>GET /projections</c>: every read model, its lifecycle, how far it has processed the event store and its lag.</summary>
public static class ListProjectionsEndpoint
{
    public sealed record Query : IQuery<IReadOnlyList<ProjectionStatus>>;

    public sealed class Handler(ProjectionCatalog catalog, NpgsqlDataSource dataSource) : IQueryHandler<Query, IReadOnlyList<ProjectionStatus>>
    {
        public async ValueTask<IReadOnlyList<ProjectionStatus>> Handle(Query query, CancellationToken cancellationToken) =>
            await catalog.StatusAsync(dataSource, cancellationToken);
    }

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGet("/projections", async (IMediator mediator, CancellationToken cancellationToken) =>
                TypedResults.Ok(await mediator.Send(new Query(), cancellationToken)))
            .WithName("ListProjections")
            .WithSummary("Name, lifecycle, last processed sequence, high-water mark, lag and status of every projection.");
}
