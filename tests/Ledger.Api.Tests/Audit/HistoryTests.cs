using System.Net;
using System.Text.Json;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Testing;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Ledger.Api.Tests.Audit;

/// <summary><c>GET /accounts/{id}/history</c>: signed entries in version order, cursor-paged, filtered by occurrence time.</summary>
[Collection(ApiFixtureGroup.Name)]
public sealed class HistoryTests(LedgerApiFactory factory)
{
    private static readonly TimeSpan Microsecond = AuditTimes.Microsecond;

    private readonly Teller _teller = new(factory.CreateClient());

    private readonly Auditor _auditor = new(factory.CreateClient());

    /// <summary>Holds, which no endpoint serves here, are decided by the domain and appended through the API's own store.</summary>
    private readonly LedgerWriter _writer = new(factory.Services.GetRequiredService<IDocumentStore>());

    /// <summary>An account with <paramref name="events"/> events: the creation and deposits of 1.00, 2.00, ….</summary>
    private async Task<Guid> ArrangeAsync(int events)
    {
        var accountId = await _teller.OpenAccountAsync();
        for (var i = 1; i < events; i++)
        {
            await _teller.DepositAsync(accountId, $"{i}.00");
        }

        return accountId;
    }

    private static List<long> Versions(JsonElement page) => page.GetProperty("entries").EnumerateArray().Select(entry => entry.Version()).ToList();

    private Task<JsonElement> PageAsync(Guid accountId, string query) => _auditor.GetOkAsync($"/api/v1/accounts/{accountId}/history?{query}");

    [Fact]
    public async Task SevenEventsLimitThree_PagesOfThreeThreeOneThatConcatenateToTheWholeHistory()
    {
        var accountId = await ArrangeAsync(7);

        var first = await PageAsync(accountId, "limit=3");
        var second = await PageAsync(accountId, $"limit=3&after={Auditor.NextCursor(first)}");
        var third = await PageAsync(accountId, $"limit=3&after={Auditor.NextCursor(second)}");
        var whole = await PageAsync(accountId, "limit=1000");

        Versions(first).Should().Equal(1, 2, 3);
        Auditor.NextCursor(first).Should().Be("3");
        Versions(second).Should().Equal(4, 5, 6);
        Auditor.NextCursor(second).Should().Be("6");
        Versions(third).Should().Equal(7);
        Auditor.NextCursor(third).Should().BeNull();
        Auditor.NextCursor(whole).Should().BeNull();
        first.GetProperty("accountId").GetGuid().Should().Be(accountId);
        var paged = new[] { first, second, third }.SelectMany(page => page.GetProperty("entries").EnumerateArray()).Select(e => e.GetRawText());
        paged.Should().Equal(whole.GetProperty("entries").EnumerateArray().Select(e => e.GetRawText()), "pages hold the same entries, once each");
    }

    [Fact]
    public async Task LastPageExactlyFull_HasNoNextCursor()
    {
        var accountId = await ArrangeAsync(6);

        var second = await PageAsync(accountId, "limit=3&after=3");
        var beyond = await PageAsync(accountId, "limit=3&after=6");

        Versions(second).Should().Equal(4, 5, 6);
        Auditor.NextCursor(second).Should().BeNull("no entry follows version 6");
        Versions(beyond).Should().BeEmpty();
        Auditor.NextCursor(beyond).Should().BeNull();
    }

    [Fact]
    public async Task NoLimit_DefaultsToOneHundred()
    {
        var accountId = await ArrangeAsync(101);

        var first = await PageAsync(accountId, "");
        var rest = await PageAsync(accountId, $"after={Auditor.NextCursor(first)}");

        Versions(first).Should().Equal(Enumerable.Range(1, 100).Select(v => (long)v));
        Auditor.NextCursor(first).Should().Be("100");
        Versions(rest).Should().Equal(101);
        Auditor.NextCursor(rest).Should().BeNull();
    }

    private static List<decimal> Decimals(IEnumerable<JsonElement> entries, string name) => entries.Select(e => e.GetProperty(name).GetDecimal()).ToList();

    /// <summary>
    /// Overdraft 100.00, +500.00, a hold of 120.00 captured for 98.40 out of the ledger, a hold of 50.00 released: the holds
    /// move what is held and available; only the capture moves the balance, as a debit of what was captured.
    /// </summary>
    [Fact]
    public async Task Holds_ChangeHeldAndAvailable_TheBalanceOnlyWhenCaptured()
    {
        var accountId = await _teller.OpenAccountAsync(overdraftLimit: 100m);
        await _teller.DepositAsync(accountId, "500.00");
        var hotel = await _writer.PlaceHoldAsync(accountId, 120_00, "Hotel Lisboa");
        await _writer.CaptureAsync(hotel, 98_40);
        await _writer.ReleaseAsync(await _writer.PlaceHoldAsync(accountId, 50_00));

        var entries = await _auditor.HistoryAsync(accountId);

        entries.Select(e => e.GetProperty("type").GetString()).Should().Equal(
            "AccountCreated", "MoneyDeposited", "HoldPlaced", "HoldCaptured", "HoldPlaced", "HoldReleased");
        Decimals(entries, "amount").Should().Equal(0m, 500m, 0m, -98.40m, 0m, 0m);
        Decimals(entries, "balanceAfter").Should().Equal(0m, 500m, 500m, 401.60m, 401.60m, 401.60m);
        // A capture ends the whole hold, the part not captured too.
        Decimals(entries, "heldAfter").Should().Equal(0m, 0m, 120m, 0m, 50m, 0m);
        Decimals(entries, "availableAfter").Should().Equal(100m, 600m, 480m, 501.60m, 451.60m, 501.60m);
        entries[2].GetProperty("reference").GetString().Should().Be("Hotel Lisboa");
        entries[2].GetProperty("data").GetProperty("purpose").GetString().Should().Be("hold");
        entries[2].GetProperty("data").GetProperty("holdId").GetGuid().Should().Be(hotel);
        var captured = entries[3].GetProperty("data");
        (captured.GetProperty("amountMinor").GetInt64(), captured.GetProperty("heldMinor").GetInt64()).Should().Be((9840L, 12000L));
        captured.TryGetProperty("toAccountId", out _).Should().BeFalse("captured out of the ledger");
        entries[3].TryGetProperty("counterpartyAccountId", out _).Should().BeFalse();
        entries[3].TryGetProperty("transferId", out _).Should().BeFalse();
        entries[5].GetProperty("data").GetProperty("reason").GetString().Should().Be("released");
        var now = await _teller.GetAccountAsync(accountId);
        (now.GetProperty("balance").GetDecimal(), now.GetProperty("held").GetDecimal(), now.GetProperty("available").GetDecimal())
            .Should().Be((401.60m, 0m, 501.60m), "the last entry is the account now");
        (await _auditor.IntegrityAsync(accountId)).GetProperty("valid").GetBoolean().Should().BeTrue();
    }

    /// <summary>A hold captured to another account is one event in both histories, debit and credit, like a transfer.</summary>
    [Fact]
    public async Task HoldCapturedToAnotherAccount_IsADebitAndACreditWithEachOtherAsCounterparty()
    {
        var source = await _teller.OpenFundedAccountAsync("200.00");
        var destination = await _teller.OpenAccountAsync();
        await _writer.CaptureAsync(await _writer.PlaceHoldAsync(source, 80_00, "deposit for the flat"), toAccountId: destination);

        var debit = (await _auditor.HistoryAsync(source))[^1];
        var credit = (await _auditor.HistoryAsync(destination))[^1];

        (debit.GetProperty("type").GetString(), credit.GetProperty("type").GetString()).Should().Be(("HoldCaptured", "HoldCaptured"));
        (debit.GetProperty("amount").GetDecimal(), debit.GetProperty("balanceAfter").GetDecimal(), debit.GetProperty("heldAfter").GetDecimal())
            .Should().Be((-80m, 120m, 0m));
        (credit.GetProperty("amount").GetDecimal(), credit.GetProperty("balanceAfter").GetDecimal(), credit.GetProperty("heldAfter").GetDecimal())
            .Should().Be((80m, 80m, 0m), "the destination held nothing");
        debit.GetProperty("counterpartyAccountId").GetGuid().Should().Be(destination);
        credit.GetProperty("counterpartyAccountId").GetGuid().Should().Be(source);
        debit.GetProperty("data").GetRawText().Should().Be(credit.GetProperty("data").GetRawText(), "both copies record the same facts");
        debit.GetProperty("eventId").GetGuid().Should().NotBe(credit.GetProperty("eventId").GetGuid());
        credit.GetProperty("reference").GetString().Should().Be("deposit for the flat");
        (await _auditor.IntegrityAsync(destination)).GetProperty("valid").GetBoolean().Should().BeTrue();
    }

    /// <summary>Freezes, unfreezes and closings move no money: entries of amount 0 whose reference is the reason given.</summary>
    [Fact]
    public async Task FreezeUnfreezeAndClose_AreEntriesWithoutAmount_ReferencingTheirReason()
    {
        var accountId = await _teller.OpenFundedAccountAsync("10.00");
        foreach (var (change, reason) in new[] { ("freeze", "card reported stolen"), ("unfreeze", "card found") })
        {
            using var response = await _teller.PostJsonAsync($"{Teller.AccountsPath}/{accountId}/{change}", Teller.Json(new { reason }));
            await Teller.Expect(response, HttpStatusCode.OK);
        }

        await _teller.WithdrawAsync(accountId, "10.00");
        using (var close = await _teller.PostJsonAsync($"{Teller.AccountsPath}/{accountId}/close", Teller.Json(new { reason = "moved abroad" })))
        {
            await Teller.Expect(close, HttpStatusCode.OK);
        }

        var entries = await _auditor.HistoryAsync(accountId);

        entries.Select(e => e.GetProperty("type").GetString()).Should().Equal(
            "AccountCreated", "MoneyDeposited", "AccountFrozen", "AccountUnfrozen", "MoneyWithdrawn", "AccountClosed");
        Decimals(entries, "amount").Should().Equal(0m, 10m, 0m, 0m, -10m, 0m);
        Decimals(entries, "balanceAfter").Should().Equal(0m, 10m, 10m, 10m, 0m, 0m);
        entries.Skip(2).Where(e => e.GetProperty("amount").GetDecimal() == 0).Select(e => e.GetProperty("reference").GetString())
            .Should().Equal("card reported stolen", "card found", "moved abroad");
        entries[2].GetProperty("data").TryGetProperty("alertId", out _).Should().BeFalse("no alert asked for this freeze");
        (await _auditor.IntegrityAsync(accountId)).GetProperty("valid").GetBoolean().Should().BeTrue();
    }

    [Fact]
    public async Task DepositWithdrawalAndTransfer_AreSignedWithRunningBalances()
    {
        var source = await _teller.OpenAccountAsync();
        var destination = await _teller.OpenAccountAsync();
        await _teller.DepositAsync(source, "100.00", "Salary");
        await _teller.WithdrawAsync(source, "30.00");
        var transfer = await _teller.TransferAsync(source, destination, "25.50", "Rent March");
        var transferId = transfer.GetProperty("transferId").GetGuid();

        var sourceEntries = await _auditor.HistoryAsync(source);
        var destinationEntries = await _auditor.HistoryAsync(destination);

        sourceEntries.Select(e => e.GetProperty("type").GetString()).Should().Equal("AccountCreated", "MoneyDeposited", "MoneyWithdrawn", "MoneyTransferred");
        sourceEntries.Select(e => e.GetProperty("amount").GetDecimal()).Should().Equal(0m, 100m, -30m, -25.50m);
        sourceEntries.Select(e => e.GetProperty("balanceAfter").GetDecimal()).Should().Equal(0m, 100m, 70m, 44.50m);
        sourceEntries.Select(e => e.Version()).Should().Equal(1, 2, 3, 4);
        sourceEntries.Should().OnlyContain(e => e.GetProperty("currency").GetString() == "EUR");
        destinationEntries.Select(e => e.GetProperty("amount").GetDecimal()).Should().Equal(0m, 25.50m);
        destinationEntries.Select(e => e.GetProperty("balanceAfter").GetDecimal()).Should().Equal(0m, 25.50m);

        var debit = sourceEntries[3];
        var credit = destinationEntries[1];
        debit.GetProperty("transferId").GetGuid().Should().Be(transferId);
        credit.GetProperty("transferId").GetGuid().Should().Be(transferId);
        debit.GetProperty("counterpartyAccountId").GetGuid().Should().Be(destination);
        credit.GetProperty("counterpartyAccountId").GetGuid().Should().Be(source);
        debit.GetProperty("reference").GetString().Should().Be("Rent March");
        credit.GetProperty("reference").GetString().Should().Be("Rent March");
        debit.GetProperty("eventId").GetGuid().Should().NotBeEmpty();
        debit.GetProperty("data").GetRawText().Should().Be(credit.GetProperty("data").GetRawText(), "both legs record the same facts");
        debit.OccurredAt().Should().Be(credit.OccurredAt());
        sourceEntries[1].GetProperty("reference").GetString().Should().Be("Salary");
        foreach (var entry in sourceEntries.Take(3))
        {
            entry.TryGetProperty("transferId", out _).Should().BeFalse("absent values are left out; got {0}", entry);
            entry.TryGetProperty("counterpartyAccountId", out _).Should().BeFalse();
        }

        sourceEntries[0].TryGetProperty("reference", out _).Should().BeFalse();
        sourceEntries[2].TryGetProperty("reference", out _).Should().BeFalse();
    }

    [Fact]
    public async Task EntryData_HoldsTheRecordedFactsInMinorUnits()
    {
        var source = await _teller.OpenAccountAsync("KWD", 0, "Grace Hopper");
        var destination = await _teller.OpenAccountAsync("KWD");
        await _teller.DepositAsync(source, "10.125", "Top-up");
        var transfer = await _teller.TransferAsync(source, destination, "2.5", null);

        var entries = await _auditor.HistoryAsync(source);

        var created = entries[0].GetProperty("data");
        created.GetProperty("accountId").GetGuid().Should().Be(source);
        created.GetProperty("owner").GetString().Should().Be("Grace Hopper");
        created.GetProperty("currency").GetString().Should().Be("KWD");
        created.GetProperty("overdraftLimitMinor").GetRawText().Should().Be("0");
        created.GetProperty("occurredAt").GetString().Should().Be(entries[0].GetProperty("occurredAt").GetString());
        var deposited = entries[1].GetProperty("data");
        deposited.GetProperty("amountMinor").GetRawText().Should().Be("10125");
        deposited.GetProperty("reference").GetString().Should().Be("Top-up");
        var transferred = entries[2].GetProperty("data");
        transferred.GetProperty("amountMinor").GetRawText().Should().Be("2500", "amounts in data are unsigned minor units");
        transferred.GetProperty("fromAccountId").GetGuid().Should().Be(source);
        transferred.GetProperty("toAccountId").GetGuid().Should().Be(destination);
        transferred.GetProperty("transferId").GetGuid().Should().Be(transfer.GetProperty("transferId").GetGuid());
        transferred.TryGetProperty("reference", out _).Should().BeFalse();
        entries[2].GetProperty("amount").GetDecimal().Should().Be(-2.5m);
        entries[2].GetProperty("balanceAfter").GetDecimal().Should().Be(7.625m);
    }

    [Fact]
    public async Task CorrelationIdHeader_IsRecordedOnTheEntry()
    {
        var accountId = await _teller.OpenAccountAsync();
        await _teller.DepositAsync(accountId, "5.00", "Cash", correlationId: "audit-test-1");
        await _teller.DepositAsync(accountId, "6.00");

        var entries = await _auditor.HistoryAsync(accountId);

        entries[1].GetProperty("correlationId").GetString().Should().Be("audit-test-1");
        entries[1].GetProperty("reference").GetString().Should().Be("Cash");
        entries[2].GetProperty("correlationId").GetString().Should().NotBe("audit-test-1", "each request has its own correlation id");
    }

    [Fact]
    public async Task FromAndTo_FilterByOccurrenceTimeInclusively()
    {
        var accountId = await ArrangeAsync(5);
        var all = await _auditor.HistoryAsync(accountId);
        var (second, fourth) = (all[1].OccurredAt(), all[3].OccurredAt());

        Versions(await PageAsync(accountId, $"from={AuditTimes.Query(second)}&to={AuditTimes.Query(fourth)}")).Should().Equal(2, 3, 4);
        Versions(await PageAsync(accountId, $"from={AuditTimes.Query(second + Microsecond)}&to={AuditTimes.Query(fourth - Microsecond)}"))
            .Should().Equal(3);
        Versions(await PageAsync(accountId, $"from={AuditTimes.Query(second)}")).Should().Equal(2, 3, 4, 5);
        Versions(await PageAsync(accountId, $"to={AuditTimes.Query(second)}")).Should().Equal(1, 2);
        Versions(await PageAsync(accountId, $"from={AuditTimes.Query(second)}&to={AuditTimes.Query(second)}")).Should().Equal(2);
        Versions(await PageAsync(accountId, $"to={AuditTimes.Query(all[0].OccurredAt() - Microsecond)}")).Should().BeEmpty();

        var windowed = await PageAsync(accountId, $"from={AuditTimes.Query(second)}&to={AuditTimes.Query(fourth)}&limit=2");
        Versions(windowed).Should().Equal(2, 3);
        var next = await PageAsync(accountId, $"from={AuditTimes.Query(second)}&to={AuditTimes.Query(fourth)}&limit=2&after={Auditor.NextCursor(windowed)}");
        Versions(next).Should().Equal(4);
        Auditor.NextCursor(next).Should().BeNull();
    }

    /// <summary>
    /// An instant has seven fractional digits (docs/audit.md); an event recorded at T is before T + 100 ns, so a window
    /// starting there must leave it out.
    /// </summary>
    [Fact]
    public async Task FromOneTickAfterAnEvent_LeavesThatEventOut()
    {
        var accountId = await ArrangeAsync(3);
        var all = await _auditor.HistoryAsync(accountId);
        var from = all[1].OccurredAt().AddTicks(1);

        Versions(await PageAsync(accountId, $"from={AuditTimes.Query(from)}")).Should().Equal([3],
            "version 2 occurred at {0}, before 'from' {1}", AuditTimes.Format(all[1].OccurredAt()), AuditTimes.Format(from));
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1001", "limit")]
    [InlineData("limit=-1", "limit")]
    [InlineData("after=abc", "after")]
    [InlineData("after=-1", "after")]
    [InlineData("after=1.5", "after")]
    [InlineData("from=2026-03-02T14:03:01Z&to=2026-03-02T14:03:00Z", "from")]
    [InlineData("from=yesterday", "from")]
    [InlineData("to=2026-03-02T14:03:00", "to")]
    public async Task InvalidParameter_IsRejectedOnThatParameter(string query, string field)
    {
        var accountId = await _teller.OpenAccountAsync();

        await _auditor.ExpectValidationErrorAsync($"/api/v1/accounts/{accountId}/history?{query}", field);
    }

    [Theory]
    [InlineData("limit=0&after=abc", "limit", "'limit' must be between 1 and 1000.")]
    [InlineData("after=-1", "after", "'after' must be a cursor returned as 'nextCursor' by a previous page.")]
    [InlineData("from=yesterday&to=yesterday&limit=0", "from", "'from' must be an RFC 3339 instant with an offset, such as 2026-03-02T14:03:00Z.")]
    [InlineData("to=2026-13-02T14:03:00Z&limit=0", "to", "'to' is not a valid date and time.")]
    [InlineData("from=2026-03-02T14:03:01Z&to=2026-03-02T14:03:00Z&limit=0&after=abc", "from", "'from' must not be after 'to'.")]
    public async Task SeveralInvalidParameters_NameTheFirstOnly(string query, string field, string message)
    {
        var accountId = await _teller.OpenAccountAsync();

        var problem = await _auditor.ExpectValidationErrorAsync($"/api/v1/accounts/{accountId}/history?{query}", field);

        problem.GetProperty("errors").Deserialize<Dictionary<string, string[]>>().Should()
            .BeEquivalentTo(new Dictionary<string, string[]> { [field] = [message] });
    }

    [Theory]
    [InlineData("limit=abc")]
    [InlineData("limit=1.5")]
    [InlineData("limit=99999999999")]
    public async Task UnreadableLimit_IsABadRequestProblem(string query)
    {
        var accountId = await _teller.OpenAccountAsync();

        using var response = await _auditor.GetAsync($"/api/v1/accounts/{accountId}/history?{query}");

        var problem = await Teller.Expect(response, HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json");
        problem.ShouldBeCompleteProblem(400);
    }

    [Theory]
    [InlineData("limit=1")]
    [InlineData("limit=1000")]
    [InlineData("after=0")]
    [InlineData("from=2026-03-02T14:03:00Z&to=2026-03-02T14:03:00Z")]
    public async Task BoundaryParameter_IsAccepted(string query)
    {
        var accountId = await _teller.OpenAccountAsync();

        await _auditor.GetOkAsync($"/api/v1/accounts/{accountId}/history?{query}");
    }

    [Fact]
    public async Task UnknownAccount_IsAccountNotFound()
    {
        var problem = await _auditor.ExpectProblemAsync($"/api/v1/accounts/{Guid.NewGuid()}/history", HttpStatusCode.NotFound, ProblemTypes.AccountNotFound);

        problem.ShouldBeCompleteProblem(404);
    }
}
