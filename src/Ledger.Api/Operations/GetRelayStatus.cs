using Ledger.Messaging.Relay;
using Mediator;

namespace Ledger.Api.Operations;

/// <summary><c>GET /relay</c>: how far the Kafka relay has published, against the event store's high-water mark.</summary>
public static class GetRelayStatusEndpoint
{
    public sealed record Query : IQuery<RelayStatus>;

    public sealed class Handler(RelayStatusQuery status) : IQueryHandler<Query, RelayStatus>
    {
        public async ValueTask<RelayStatus> Handle(Query query, CancellationToken cancellationToken) =>
            await status.ReadAsync(cancellationToken);
    }

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGet("/relay", async (IMediator mediator, CancellationToken cancellationToken) =>
                TypedResults.Ok(await mediator.Send(new Query(), cancellationToken)))
            .WithName("GetRelayStatus")
            .WithSummary("Last published sequence, high-water mark, lag and dead letters of the Kafka relay.");
}
