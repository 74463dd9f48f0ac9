using System.Security.Claims;
using Ledger.Api.Infrastructure;
using Ledger.EventStore.Projections;
using Mediator;

namespace Ledger.Api.Projections;

/// <summary>
/// <c>POST /projections/{name}/rebuild</c>: replays the event store into a shadow copy of the projection in the background
/// and switches it in when it has caught up; the previous model serves until then. 202 with the rebuild's Location;
/// 409 while the projection is already being rebuilt or verified.
/// </summary>
public static class RebuildProjectionEndpoint
{
    /// <param name="StartedBy">The caller's subject, journaled as who started the rebuild.</param>
    public sealed record Command(string Name, string StartedBy) : ICommand<RebuildView>;

    public sealed class Handler(ProjectionCatalog catalog, ProjectionRebuilds rebuilds) : ICommandHandler<Command, RebuildView>
    {
        public async ValueTask<RebuildView> Handle(Command command, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(command);
            var projection = catalog.Require(command.Name);
            var started = await rebuilds.TryStartAsync(projection, command.StartedBy, cancellationToken)
                          ?? throw new ProblemException(Problems.RebuildInProgress,
                              $"Projection {projection.Name} is already being rebuilt or verified; follow that run or retry when it ends.");
            return RebuildView.From(started);
        }
    }

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapPost("/projections/{name}/rebuild", async (string name, ClaimsPrincipal user, IMediator mediator, CancellationToken cancellationToken) =>
            {
                var startedBy = RequestContext.ActorOf(user)?.Subject
                                ?? throw new InvalidOperationException("A rebuild is started only by an authenticated caller with a subject.");
                var view = await mediator.Send(new Command(name, startedBy), cancellationToken);
                return TypedResults.Accepted($"/api/v1/projections/{view.Projection}/rebuilds/{view.RebuildId}", view);
            })
            .WithName("RebuildProjection")
            .WithSummary("Start a rebuild by replay; the previous model serves until the new one has caught up and switches in.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
}

/// <summary>The projection named in a route, or the 404 that lists the names that exist.</summary>
internal static class ProjectionProblems
{
    public static ReplayProjection Require(this ProjectionCatalog catalog, string name) => catalog.Find(name)
        ?? throw new ProblemException(Problems.ProjectionNotFound, $"There is no projection '{name}'. Projections: {catalog.Names}.");
}
