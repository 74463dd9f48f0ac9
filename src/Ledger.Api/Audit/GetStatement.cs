using System.Globalization;
using System.Text;
using Ledger.Api.Infrastructure;
using Ledger.Api.Security;
using Ledger.Domain.Money;
using Ledger.EventStore.Audit;
using Mediator;

namespace Ledger.Api.Audit;

/// <summary>
/// <c>GET /accounts/{id}/statement?from=&amp;to=</c>: opening balance (after every event before <c>from</c>), the entries
/// in the window, closing balance (after every event up to <c>to</c>); beside each balance what was held and available
/// then. The balances add up with the entries' amounts; holds change only what is held and available, until captured.
/// <c>Accept: text/csv</c> gives the same as CSV.
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
        decimal OpeningHeld,
        decimal OpeningAvailable,
        decimal ClosingBalance,
        decimal ClosingHeld,
        decimal ClosingAvailable,
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
            var before = windowFrom is { } from && from.UtcDateTime > DateTime.MinValue
                ? (await audit.AsOfAsync(query.AccountId, from.AddTicks(-1), cancellationToken))?.State
                : null;
            var opening = (Balance: MinorUnits.ToMajor(before?.BalanceMinor ?? 0, currency), Held: MinorUnits.ToMajor(before?.HeldMinor ?? 0, currency),
                Available: MinorUnits.ToMajor(before is null ? 0m : (decimal)before.AvailableMinor(), currency));
            var entries = new List<EntryView>();
            await foreach (var entry in audit.EntriesAsync(query.AccountId, windowFrom, windowTo, 0, EntriesMax + 1, cancellationToken))
            {
                entries.Add(EntryView.From(entry));
            }

            if (entries.Count > EntriesMax)
            {
                throw Invalid.Parameter("from", $"The statement would hold more than {EntriesMax} entries; narrow 'from' and 'to', or page through history.");
            }

            var closing = entries.Count > 0
                ? (Balance: entries[^1].BalanceAfter, Held: entries[^1].HeldAfter, Available: entries[^1].AvailableAfter)
                : opening;
            return new Statement(query.AccountId, currency.Code, windowFrom is { } f ? Instants.Format(f) : null,
                windowTo is { } t ? Instants.Format(t) : null, opening.Balance, opening.Held, opening.Available, closing.Balance, closing.Held,
                closing.Available, entries);
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
            .RequireRateLimiting(RateLimits.Expensive)
            .WithName("GetAccountStatement")
            .WithSummary("Opening balance, entries and closing balance for a window; Accept: text/csv for a spreadsheet.")
            .Produces<Statement>()
            .Produces<string>(StatusCodes.Status200OK, "text/csv")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

    private static bool WantsCsv(HttpRequest request) =>
        request.GetTypedHeaders().Accept.Any(accept => accept.MediaType.Equals("text/csv", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// RFC 4180: a header row, CRLF line ends, fields quoted when they hold a comma, quote or line break. Text that a
    /// spreadsheet would run as a formula is neutralised (<see cref="Text"/>); numbers are written plain, negative ones too.
    /// The held and available columns came after the others, so they are last: a reader by position keeps working.
    /// </summary>
    public static string ToCsv(Statement statement)
    {
        ArgumentNullException.ThrowIfNull(statement);
        var csv = new StringBuilder();
        Row(csv, Texts("type", "version", "sequence", "eventId", "occurredAt", "amount", "balanceAfter", "currency", "transferId",
            "counterpartyAccountId", "reference", "correlationId", "hash", "actorSubject", "actorRole", "heldAfter", "availableAfter"));
        Row(csv, Text("OpeningBalance"), "", "", "", Text(statement.From ?? ""), "", Number(statement.OpeningBalance), Text(statement.Currency),
            "", "", "", "", "", "", "", Number(statement.OpeningHeld), Number(statement.OpeningAvailable));
        foreach (var entry in statement.Entries)
        {
            Row(csv, Text(entry.Type), Number(entry.Version), Number(entry.Sequence), Text(entry.EventId.ToString()), Text(entry.OccurredAt),
                Number(entry.Amount), Number(entry.BalanceAfter), Text(entry.Currency), Text(entry.TransferId?.ToString() ?? ""),
                Text(entry.CounterpartyAccountId?.ToString() ?? ""), Text(entry.Reference ?? ""), Text(entry.CorrelationId ?? ""), Text(entry.Hash),
                Text(entry.Actor?.Subject ?? ""), Text(entry.Actor?.Role ?? ""), Number(entry.HeldAfter), Number(entry.AvailableAfter));
        }

        Row(csv, Text("ClosingBalance"), "", "", "", Text(statement.To ?? ""), "", Number(statement.ClosingBalance), Text(statement.Currency),
            "", "", "", "", "", "", "", Number(statement.ClosingHeld), Number(statement.ClosingAvailable));
        return csv.ToString();
    }

    private static string Number(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static void Row(StringBuilder csv, params string[] cells)
    {
        csv.AppendJoin(',', cells).Append("\r\n");
    }

    private static string[] Texts(params string[] values) => values.Select(Text).ToArray();

    /// <summary>
    /// A text field. One that starts with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, a tab or a carriage return would be read as
    /// a formula by a spreadsheet (OWASP "CSV injection": a reference of <c>=HYPERLINK(...)</c> runs when the auditor opens
    /// the file), so it gets a leading single quote and is quoted. Only text goes through here: amounts stay numbers.
    /// </summary>
    public static string Text(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (StartsLikeAFormula(value))
        {
            return $"\"'{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;
    }

    private static bool StartsLikeAFormula(string value) => value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r';
}
