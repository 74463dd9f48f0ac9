using System.Globalization;
using Ledger.Api.Infrastructure;
using Ledger.EventStore.Audit;
using Mediator;

namespace Ledger.Api.Audit;

/// <summary><c>GET /accounts/{id}/history</c>: entries in version order, cursor-paged, optionally within a time window.</summary>
public static class GetHistoryEndpoint
{
    public const int LimitDefault = 100;
    public const int LimitMax = 1000;

    public sealed record HistoryPage(Guid AccountId, IReadOnlyList<EntryView> Entries, string? NextCursor);

    public sealed record Query(Guid AccountId, DateTimeOffset? From, DateTimeOffset? To, long AfterVersion, int Limit) : IQuery<HistoryPage>;

    public sealed class Handler(AuditQueries audit) : IQueryHandler<Query, HistoryPage>
    {
        public async ValueTask<HistoryPage> Handle(Query query, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(query);
            _ = await audit.LatestAsync(query.AccountId, cancellationToken)
                ?? throw ProblemException.AccountNotFound(query.AccountId);
            // One row more than asked tells whether another page follows.
            var entries = new List<EntryView>(query.Limit + 1);
            await foreach (var entry in audit.EntriesAsync(query.AccountId, query.From, query.To, query.AfterVersion, query.Limit + 1, cancellationToken))
            {
                entries.Add(EntryView.From(entry));
            }

            var more = entries.Count > query.Limit;
            if (more)
            {
                entries.RemoveAt(entries.Count - 1);
            }

            return new HistoryPage(query.AccountId, entries, more ? entries[^1].Version.ToString(CultureInfo.InvariantCulture) : null);
        }
    }

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGet("/accounts/{accountId}/history",
                async (Guid accountId, string? from, string? to, string? after, int? limit, IMediator mediator, CancellationToken cancellationToken) =>
                {
                    var (fromInstant, toInstant) = Window(from, to);
                    var size = limit ?? LimitDefault;
                    if (size is < 1 or > LimitMax)
                    {
                        throw Invalid.Parameter("limit", $"'limit' must be between 1 and {LimitMax}.");
                    }

                    var afterVersion = 0L;
                    if (after is not null && (!long.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out afterVersion) || afterVersion < 0))
                    {
                        throw Invalid.Parameter("after", "'after' must be a cursor returned as 'nextCursor' by a previous page.");
                    }

                    return TypedResults.Ok(await mediator.Send(new Query(accountId, fromInstant, toInstant, afterVersion, size), cancellationToken));
                })
            .WithName("GetAccountHistory")
            .WithSummary("Lists an account's entries in version order, with balances after each and chain hashes.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

    /// <summary>Parses an optional occurrence-time window; <c>from</c> after <c>to</c> is a 400.</summary>
    public static (DateTimeOffset? From, DateTimeOffset? To) Window(string? from, string? to)
    {
        var fromInstant = Instants.Parse(from, "from");
        var toInstant = Instants.Parse(to, "to");
        if (fromInstant > toInstant)
        {
            throw Invalid.Parameter("from", "'from' must not be after 'to'.");
        }

        return (fromInstant, toInstant);
    }
}
