using Ledger.Messaging.Consumers;
using Mediator;

namespace Ledger.Api.Consumers;

/// <summary>
/// <c>GET /consumers/gaps</c>: messages a consumer group found gone from Kafka (retention) and that no republish has
/// restored yet, each with the sequence range that <c>ledger relay republish</c> should publish again (ADR-010).
/// </summary>
public static class GetConsumerGapsEndpoint
{
    public sealed record GapsView(IReadOnlyList<ConsumerGap> Open);

    public sealed record Query : IQuery<GapsView>;

    public sealed class Handler(ConsumerGapStore gaps) : IQueryHandler<Query, GapsView>
    {
        public async ValueTask<GapsView> Handle(Query query, CancellationToken cancellationToken) =>
            new(await gaps.OpenAsync(cancellationToken: cancellationToken));
    }

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGet("/consumers/gaps", async (IMediator mediator, CancellationToken cancellationToken) =>
                TypedResults.Ok(await mediator.Send(new Query(), cancellationToken)))
            .WithName("GetConsumerGaps")
            .WithSummary($"Open gaps of the Kafka consumers (up to {ConsumerGapStore.ListMax}), with the sequence range to republish.");
}
