using Ledger.Api.Infrastructure;
using Ledger.EventStore.Transfers;
using Mediator;

namespace Ledger.Api.Transfers;

public static class GetTransferEndpoint
{
    public sealed record Query(Guid TransferId) : IQuery<TransferView>;

    public sealed class Handler(LedgerSessions sessions) : IQueryHandler<Query, TransferView>
    {
        public async ValueTask<TransferView> Handle(Query query, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(query);
            await using var session = sessions.OpenReadSession();
            var receipt = await session.LoadAsync<TransferReceipt>(query.TransferId, cancellationToken)
                          ?? throw new ProblemException(Problems.TransferNotFound, $"Transfer {query.TransferId} does not exist.");
            return TransferView.From(receipt);
        }
    }

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGet("/transfers/{transferId}", async (Guid transferId, IMediator mediator, CancellationToken cancellationToken) =>
                TypedResults.Ok(await mediator.Send(new Query(transferId), cancellationToken)))
            .WithName("GetTransfer")
            .WithSummary("Reads a transfer as it was recorded.")
            .ProducesProblem(StatusCodes.Status404NotFound);
}
