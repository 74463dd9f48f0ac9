using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using FluentValidation;
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

    /// <summary>The parameters as sent; <c>after</c> is the version of the last entry of the previous page.</summary>
    public sealed record Query(Guid AccountId, string? From, string? To, string? After, int? Limit) : IQuery<HistoryPage>, ITimeWindow;

    public sealed class Validator : QueryValidator<Query>
    {
        public Validator()
        {
            Include(new TimeWindowValidator());
            RuleFor(query => query.Limit).ValidLimit(LimitMax);
            RuleFor(query => query.After).ValidCursor(text => TryParseAfter(text, out _));
        }
    }

    public sealed class Handler(AuditQueries audit) : IQueryHandler<Query, HistoryPage>
    {
        public async ValueTask<HistoryPage> Handle(Query query, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(query);
            _ = await audit.LatestAsync(query.AccountId, cancellationToken)
                ?? throw ProblemException.AccountNotFound(query.AccountId);
            var limit = query.Limit ?? LimitDefault;
            var afterVersion = query.After is null ? 0
                : TryParseAfter(query.After, out var version) ? version
                : throw new InvalidOperationException("The cursor was not validated before the handler ran.");
            // One row more than asked tells whether another page follows.
            var entries = new List<EntryView>(limit + 1);
            await foreach (var entry in audit.EntriesAsync(query.AccountId, Instants.Validated(query.From), Instants.Validated(query.To),
                               afterVersion, limit + 1, cancellationToken))
            {
                entries.Add(EntryView.From(entry));
            }

            var more = entries.Count > limit;
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
                    TypedResults.Ok(await mediator.Send(new Query(accountId, from, to, after, limit), cancellationToken)))
            .WithName("GetAccountHistory")
            .WithSummary("Lists an account's entries in version order, with balances after each and chain hashes.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

    private static bool TryParseAfter(string text, out long version) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out version) && version >= 0;
}

/// <summary>An optional occurrence-time window of a query, as sent: two RFC 3339 instants, both ends included.</summary>
[SuppressMessage("Naming", "CA1716:Identifiers should not match keywords",
    Justification = "The members carry the names of the query parameters 'from' and 'to', which name the error keys.")]
public interface ITimeWindow
{
    string? From { get; }

    string? To { get; }
}

/// <summary>Each end an RFC 3339 instant, and <c>from</c> not after <c>to</c>.</summary>
public sealed class TimeWindowValidator : QueryValidator<ITimeWindow>
{
    public TimeWindowValidator()
    {
        RuleFor(window => window.From).ValidInstant();
        RuleFor(window => window.To).ValidInstant();
        RuleFor(window => window.From)
            .Must((window, from) => !(Instants.Validated(from) > Instants.Validated(window.To)))
            .WithMessage("'from' must not be after 'to'.");
    }
}
