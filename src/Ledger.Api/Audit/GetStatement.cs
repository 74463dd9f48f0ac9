using System.Globalization;
using System.Text;
using Ledger.Api.Infrastructure;
using Ledger.Domain.Money;
using Ledger.EventStore.Audit;
using Mediator;

namespace Ledger.Api.Audit;

/// <summary>
/// <c>GET /accounts/{id}/statement?from=&amp;to=</c>: opening balance (after every event before <c>from</c>), the entries
/// in the window, closing balance (after every event up to <c>to</c>). <c>Accept: text/csv</c> gives the same as CSV.
/// </summary>
public static class GetStatementEndpoint
{
    public const int EntriesMax = 10_000;

    public sealed record Statement(
        Guid AccountId,
        string Currency,
        string? From,
        string? To,
        decimal OpeningBalance,
        decimal ClosingBalance,
        IReadOnlyList<EntryView> Entries);

    public sealed record Query(Guid AccountId, string? From, string? To) : IQuery<Statement>, ITimeWindow;

    public sealed class Validator : QueryValidator<Query>
    {
        public Validator() => Include(new TimeWindowValidator());
    }

    public sealed class Handler(AuditQueries audit) : IQueryHandler<Query, Statement>
    {
        public async ValueTask<Statement> Handle(Query query, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(query);
            var latest = await audit.LatestAsync(query.AccountId, cancellationToken)
                         ?? throw ProblemException.AccountNotFound(query.AccountId);
            var currency = Currency.Find(latest.State.Currency);
            var (windowFrom, windowTo) = (Instants.Validated(query.From), Instants.Validated(query.To));
            // Nothing can precede the first instant there is, so a window starting there opens at zero.
            var openingMinor = windowFrom is { } from && from.UtcDateTime > DateTime.MinValue &&
                               await audit.AsOfAsync(query.AccountId, from.AddTicks(-1), cancellationToken) is { } before
                ? before.State.BalanceMinor
                : 0;
            var entries = new List<EntryView>();
            await foreach (var entry in audit.EntriesAsync(query.AccountId, windowFrom, windowTo, 0, EntriesMax + 1, cancellationToken))
            {
                entries.Add(EntryView.From(entry));
            }

            if (entries.Count > EntriesMax)
            {
                throw Invalid.Parameter("from", $"The statement would hold more than {EntriesMax} entries; narrow 'from' and 'to', or page through history.");
            }

            var closing = entries.Count > 0 ? entries[^1].BalanceAfter : MinorUnits.ToMajor(openingMinor, currency);
            return new Statement(query.AccountId, currency.Code, windowFrom is { } f ? Instants.Format(f) : null,
                windowTo is { } t ? Instants.Format(t) : null, MinorUnits.ToMajor(openingMinor, currency), closing, entries);
        }
    }

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGet("/accounts/{accountId}/statement",
                async (Guid accountId, string? from, string? to, HttpRequest request, IMediator mediator, CancellationToken cancellationToken) =>
                {
                    var statement = await mediator.Send(new Query(accountId, from, to), cancellationToken);
                    return WantsCsv(request)
                        ? Results.Text(ToCsv(statement), "text/csv; charset=utf-8; header=present", Encoding.UTF8)
                        : Results.Ok(statement);
                })
            .WithName("GetAccountStatement")
            .WithSummary("Opening balance, entries and closing balance for a window; Accept: text/csv for a spreadsheet.")
            .Produces<Statement>()
            .Produces<string>(StatusCodes.Status200OK, "text/csv")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

    private static bool WantsCsv(HttpRequest request) =>
        request.GetTypedHeaders().Accept.Any(accept => accept.MediaType.Equals("text/csv", StringComparison.OrdinalIgnoreCase));

    /// <summary>RFC 4180: a header row, CRLF line ends, fields quoted when they hold a comma, quote or line break.</summary>
    public static string ToCsv(Statement statement)
    {
        ArgumentNullException.ThrowIfNull(statement);
        var csv = new StringBuilder();
        Row(csv, "type", "version", "sequence", "eventId", "occurredAt", "amount", "balanceAfter", "currency", "transferId",
            "counterpartyAccountId", "reference", "correlationId", "hash", "actorSubject", "actorRole");
        Row(csv, "OpeningBalance", "", "", "", statement.From ?? "", "", Number(statement.OpeningBalance), statement.Currency, "", "", "", "", "",
            "", "");
        foreach (var entry in statement.Entries)
        {
            Row(csv, entry.Type, Number(entry.Version), Number(entry.Sequence), entry.EventId.ToString(), entry.OccurredAt, Number(entry.Amount),
                Number(entry.BalanceAfter), entry.Currency, entry.TransferId?.ToString() ?? "", entry.CounterpartyAccountId?.ToString() ?? "",
                entry.Reference ?? "", entry.CorrelationId ?? "", entry.Hash, entry.Actor?.Subject ?? "", entry.Actor?.Role ?? "");
        }

        Row(csv, "ClosingBalance", "", "", "", statement.To ?? "", "", Number(statement.ClosingBalance), statement.Currency, "", "", "", "", "",
            "", "");
        return csv.ToString();
    }

    private static string Number(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static void Row(StringBuilder csv, params string[] fields)
    {
        csv.AppendJoin(',', fields.Select(Field)).Append("\r\n");
    }

    private static string Field(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;
}
