using System.Globalization;
using System.Net;
using System.Text.Json;
using Ledger.Testing;

namespace Ledger.Api.Tests.Projections;

/// <summary>
/// The reports, built by async projections: each test uses a currency no other test in this database uses, and computes
/// what the report must say from the accounts' own history (event times come from the clock, so the days are read back).
/// </summary>
[Collection(ProjectionsGroup.Name)]
public sealed class ReportTests(ProjectionsFixture fixture)
{
    private readonly Teller _teller = fixture.Teller;

    private readonly Auditor _auditor = fixture.Auditor;

    private static string Day(JsonElement entry) => entry.OccurredAt().UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    [Fact]
    public async Task DailyVolumes_CountAndSumEachKindPerDay_TransfersOnce()
    {
        var a = await _teller.OpenFundedAccountAsync("500.00", currency: "CHF");
        var b = await _teller.OpenFundedAccountAsync("20.05", currency: "CHF");
        await _teller.WithdrawAsync(a, "30.10");
        await _teller.TransferAsync(a, b, "100.00");
        await _teller.TransferAsync(b, a, "0.05");
        await fixture.WaitForReportsAsync();

        var entries = (await _auditor.HistoryAsync(a)).Concat(await _auditor.HistoryAsync(b)).ToList();
        var days = entries.Select(Day).Distinct().Order(StringComparer.Ordinal).ToList();
        var report = await fixture.GetOkAsync($"/api/v1/reports/daily-volumes?from={days[0]}&to={days[^1]}&currency=CHF");

        report.GetProperty("currency").GetString().Should().Be("CHF");
        report.GetProperty("lastProcessedSequence").GetInt64().Should().BeGreaterThanOrEqualTo(entries.Max(e => e.GetProperty("sequence").GetInt64()));
        var rows = report.GetProperty("days").EnumerateArray().ToList();
        rows.Select(r => r.GetProperty("day").GetString()).Should().Equal(days);
        decimal Sum(string kind, string day) => rows.Single(r => r.GetProperty("day").GetString() == day).GetProperty(kind).GetProperty("amount").GetDecimal();
        long Count(string kind, string day) => rows.Single(r => r.GetProperty("day").GetString() == day).GetProperty(kind).GetProperty("count").GetInt64();
        foreach (var day in days)
        {
            var ofDay = entries.Where(e => Day(e) == day).ToList();
            var deposits = ofDay.Where(e => e.GetProperty("type").GetString() == "MoneyDeposited").ToList();
            var withdrawals = ofDay.Where(e => e.GetProperty("type").GetString() == "MoneyWithdrawn").ToList();
            // Each transfer shows in both accounts' histories; the debit leg (negative amount) counts it once.
            var transfers = ofDay.Where(e => e.GetProperty("type").GetString() == "MoneyTransferred" && e.GetProperty("amount").GetDecimal() < 0).ToList();
            Count("deposits", day).Should().Be(deposits.Count);
            Sum("deposits", day).Should().Be(deposits.Sum(e => e.GetProperty("amount").GetDecimal()));
            Count("withdrawals", day).Should().Be(withdrawals.Count);
            Sum("withdrawals", day).Should().Be(-withdrawals.Sum(e => e.GetProperty("amount").GetDecimal()));
            Count("transfers", day).Should().Be(transfers.Count);
            Sum("transfers", day).Should().Be(-transfers.Sum(e => e.GetProperty("amount").GetDecimal()));
        }

        rows.Sum(r => r.GetProperty("transfers").GetProperty("count").GetInt64()).Should().Be(2);
        rows.Sum(r => r.GetProperty("deposits").GetProperty("amount").GetDecimal()).Should().Be(520.05m);
    }

    /// <summary>
    /// Holds count when captured, for what was captured: to another account as a transfer (once), out of the ledger as a
    /// withdrawal. Placing and releasing holds, freezing and unfreezing move no money: activity, not volume.
    /// </summary>
    [Fact]
    public async Task CapturedHolds_CountAsTransfersOrWithdrawals_TheOtherNewEventsAsActivityOnly()
    {
        var writer = fixture.Writer;
        var a = await _teller.OpenFundedAccountAsync("500.00", currency: "NZD");
        var b = await _teller.OpenAccountAsync("NZD");
        await writer.CaptureAsync(await writer.PlaceHoldAsync(a, 120_00), 98_40, b);
        await writer.CaptureAsync(await writer.PlaceHoldAsync(a, 50_00));
        await writer.ReleaseAsync(await writer.PlaceHoldAsync(a, 10_00));
        await writer.FreezeAsync(b);
        await writer.UnfreezeAsync(b);
        await fixture.WaitForReportsAsync();

        var days = (await _auditor.HistoryAsync(a)).Concat(await _auditor.HistoryAsync(b)).Select(Day).Distinct().Order(StringComparer.Ordinal).ToList();
        var rows = (await fixture.GetOkAsync($"/api/v1/reports/daily-volumes?from={days[0]}&to={days[^1]}&currency=NZD"))
            .GetProperty("days").EnumerateArray().ToList();
        (long, decimal) Total(string kind) => (rows.Sum(r => r.GetProperty(kind).GetProperty("count").GetInt64()),
            rows.Sum(r => r.GetProperty(kind).GetProperty("amount").GetDecimal()));
        Total("deposits").Should().Be((1L, 500m));
        Total("transfers").Should().Be((1L, 98.40m), "the capture to b, counted once though it is in both streams");
        Total("withdrawals").Should().Be((1L, 50m), "the capture out of the ledger");

        var accounts = (await fixture.GetOkAsync("/api/v1/reports/top-accounts?by=count&limit=2&currency=NZD")).GetProperty("accounts")
            .EnumerateArray().Select(r => (r.GetProperty("accountId").GetGuid(), r.GetProperty("eventCount").GetInt64(),
                r.GetProperty("totalIn").GetDecimal(), r.GetProperty("totalOut").GetDecimal(), r.GetProperty("volume").GetDecimal()));
        accounts.Should().Equal((a, 8L, 500m, 148.40m, 648.40m), (b, 4L, 98.40m, 0m, 98.40m));
    }

    [Fact]
    public async Task DailyVolumes_OutsideTheRange_AreLeftOut()
    {
        var report = await fixture.GetOkAsync("/api/v1/reports/daily-volumes?from=2001-01-01&to=2001-12-31");

        report.GetProperty("days").GetArrayLength().Should().Be(0);
        report.GetProperty("from").GetString().Should().Be("2001-01-01");
        report.GetProperty("to").GetString().Should().Be("2001-12-31");
    }

    [Fact]
    public async Task TopAccounts_RankByCountOrByVolumeWithinACurrency()
    {
        var busy = await _teller.OpenFundedAccountAsync("1000", currency: "ISK");
        var large = await _teller.OpenFundedAccountAsync("90000", currency: "ISK");
        var quiet = await _teller.OpenAccountAsync("ISK");
        for (var i = 0; i < 4; i++)
        {
            await _teller.TransferAsync(busy, quiet, "10");
        }

        await fixture.WaitForReportsAsync();

        var byCount = await fixture.GetOkAsync("/api/v1/reports/top-accounts?by=count&limit=2&currency=ISK");
        var counted = byCount.GetProperty("accounts").EnumerateArray().ToList();
        counted.Select(a => a.GetProperty("accountId").GetGuid()).Should().Equal(busy, quiet);
        counted.Select(a => a.GetProperty("eventCount").GetInt64()).Should().Equal(6, 5);
        counted[0].GetProperty("totalIn").GetDecimal().Should().Be(1000);
        counted[0].GetProperty("totalOut").GetDecimal().Should().Be(40);
        counted[0].GetProperty("volume").GetDecimal().Should().Be(1040);
        var history = await _auditor.HistoryAsync(busy);
        counted[0].GetProperty("firstActivityAt").GetDateTimeOffset().Should().Be(history[0].OccurredAt());
        counted[0].GetProperty("lastActivityAt").GetDateTimeOffset().Should().Be(history[^1].OccurredAt());

        var byVolume = await fixture.GetOkAsync("/api/v1/reports/top-accounts?by=volume&limit=3&currency=ISK");
        byVolume.GetProperty("accounts").EnumerateArray().Select(a => a.GetProperty("accountId").GetGuid()).Should().Equal(large, busy, quiet);
        byVolume.GetProperty("by").GetString().Should().Be("volume");
    }

    [Fact]
    public async Task TopAccountsByVolume_WithoutACurrency_RanksEachCurrencyApart()
    {
        await _teller.OpenFundedAccountAsync("5", currency: "HUF");
        await _teller.OpenFundedAccountAsync("7.000", currency: "KWD");
        await fixture.WaitForReportsAsync();

        var report = await fixture.GetOkAsync("/api/v1/reports/top-accounts?by=volume&limit=1");

        var accounts = report.GetProperty("accounts").EnumerateArray().ToList();
        var currencies = accounts.Select(a => a.GetProperty("currency").GetString()).ToList();
        currencies.Should().OnlyHaveUniqueItems().And.Contain(["HUF", "KWD"]).And.BeInAscendingOrder(StringComparer.Ordinal);
    }

    [Theory]
    [InlineData("/api/v1/reports/top-accounts?by=balance", "by")]
    [InlineData("/api/v1/reports/top-accounts?limit=0", "limit")]
    [InlineData("/api/v1/reports/top-accounts?limit=101", "limit")]
    [InlineData("/api/v1/reports/top-accounts?currency=XXX", "currency")]
    [InlineData("/api/v1/reports/daily-volumes?from=2026-13-01", "from")]
    [InlineData("/api/v1/reports/daily-volumes?to=yesterday", "to")]
    [InlineData("/api/v1/reports/daily-volumes?from=2026-03-02&to=2026-03-01", "from")]
    [InlineData("/api/v1/reports/daily-volumes?from=2025-01-01&to=2026-01-02", "to")]
    [InlineData("/api/v1/reports/daily-volumes?currency=euro", "currency")]
    public async Task BadParameters_AreValidationErrors(string path, string field)
    {
        using var response = await fixture.Analyst.GetAsync(path);
        await Teller.ExpectValidationError(response, field);
    }

    [Theory]
    [InlineData("/api/v1/reports/top-accounts?by=balance&limit=0&currency=XXX", "by", "'by' must be 'volume' or 'count'.")]
    [InlineData("/api/v1/reports/top-accounts?limit=101&currency=XXX", "limit", "'limit' must be between 1 and 100.")]
    [InlineData("/api/v1/reports/top-accounts?currency=", "currency", "'currency' must be an ISO 4217 code the ledger knows, such as EUR.")]
    [InlineData("/api/v1/reports/daily-volumes?from=2026-13-01&to=yesterday", "to", "'to' must be a date such as 2026-03-02.")]
    [InlineData("/api/v1/reports/daily-volumes?from=2026-03-02&to=2026-03-01&currency=euro", "from", "'from' must not be after 'to'.")]
    [InlineData("/api/v1/reports/daily-volumes?from=2025-01-01&to=2026-01-02&currency=euro", "to", "A request covers at most 366 days; ask for several ranges.")]
    [InlineData("/api/v1/reports/daily-volumes?from=0001-01-01", "to", "A request covers at most 366 days; ask for several ranges.")]
    [InlineData("/api/v1/reports/daily-volumes?currency=euro", "currency", "'currency' must be an ISO 4217 code the ledger knows, such as EUR.")]
    public async Task SeveralBadParameters_NameTheFirstOnly(string path, string field, string message)
    {
        using var response = await fixture.Analyst.GetAsync(path);

        var problem = await Teller.ExpectValidationError(response, field);

        problem.GetProperty("errors").Deserialize<Dictionary<string, string[]>>().Should()
            .BeEquivalentTo(new Dictionary<string, string[]> { [field] = [message] });
    }
}
