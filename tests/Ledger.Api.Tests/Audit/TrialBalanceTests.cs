using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ledger.Api.Tests.Infrastructure;

namespace Ledger.Api.Tests.Audit;

/// <summary>
/// <c>GET /ledger/balances?asOf=</c>. The database is shared with every other test class, so exact totals are asserted
/// only for currencies that no other test uses (TTD, ISK, MNT); the identity balance = deposited − withdrawn for all.
/// </summary>
[Collection(ApiFixtureGroup.Name)]
public sealed class TrialBalanceTests(LedgerApiFactory factory)
{
    private static readonly TimeSpan Microsecond = AuditReads.Microsecond;

    private readonly Teller _teller = new(factory.CreateClient());

    private Task<JsonElement> BalancesAsync(DateTimeOffset? asOf = null) =>
        _teller.GetOkAsync("/api/v1/ledger/balances" + (asOf is { } instant ? $"?asOf={AuditReads.Query(instant)}" : ""));

    private static JsonElement? Totals(JsonElement trial, string currency) =>
        trial.GetProperty("currencies").EnumerateArray().Where(totals => totals.GetProperty("currency").GetString() == currency)
            .Select(totals => (JsonElement?)totals).SingleOrDefault();

    private static (long Accounts, decimal Balance, decimal Deposited, decimal Withdrawn) Figures(JsonElement totals) =>
        (totals.GetProperty("accounts").GetInt64(), totals.GetProperty("totalBalance").GetDecimal(),
            totals.GetProperty("totalDeposited").GetDecimal(), totals.GetProperty("totalWithdrawn").GetDecimal());

    /// <summary>Every currency agrees with itself and says so, and the whole trial balance says so.</summary>
    private static void ShouldBeBalanced(JsonElement trial)
    {
        trial.GetProperty("balanced").GetBoolean().Should().BeTrue("got {0}", trial);
        foreach (var totals in trial.GetProperty("currencies").EnumerateArray())
        {
            var (_, balance, deposited, withdrawn) = Figures(totals);
            balance.Should().Be(deposited - withdrawn, "for {0} the balances must equal deposits minus withdrawals", totals);
            totals.GetProperty("balanced").GetBoolean().Should().BeTrue();
        }
    }

    [Fact]
    public async Task KnownArrangement_TotalsPerCurrencyAreExact()
    {
        var a = await _teller.OpenAccountAsync("TTD");
        var b = await _teller.OpenAccountAsync("TTD");
        var c = await _teller.OpenAccountAsync("TTD", 10m);
        await _teller.DepositAsync(a, "100.00");
        await _teller.DepositAsync(b, "50.25");
        await _teller.WithdrawAsync(a, "20.00");
        await _teller.TransferAsync(a, b, "30.00", null);
        await _teller.WithdrawAsync(c, "5.00");
        var historyOfB = await _teller.HistoryAsync(b);

        var now = await BalancesAsync();
        var afterDeposits = await BalancesAsync(historyOfB[1].OccurredAt());

        ShouldBeBalanced(now);
        Figures(Totals(now, "TTD")!.Value).Should().Be((3L, 125.25m, 150.25m, 25.00m));
        Figures(Totals(afterDeposits, "TTD")!.Value).Should().Be((3L, 150.25m, 150.25m, 0m), "as of B's deposit, before anything was taken out");
        ShouldBeBalanced(afterDeposits);
        afterDeposits.GetProperty("sequence").GetInt64().Should().BeGreaterThanOrEqualTo(historyOfB[1].Sequence());
        now.GetProperty("sequence").GetInt64().Should().BeGreaterThanOrEqualTo((await _teller.HistoryAsync(c))[^1].Sequence());
        now.GetProperty("asOf").GetString().Should().MatchRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$");
        (await _teller.BalanceAsync(a) + await _teller.BalanceAsync(b) + await _teller.BalanceAsync(c)).Should().Be(125.25m);
    }

    [Fact]
    public async Task BeforeTheFirstEventOfACurrency_ThatCurrencyIsAbsentOrZero()
    {
        var accountId = await _teller.OpenAccountAsync("ISK");
        await _teller.DepositAsync(accountId, "700");
        var history = await _teller.HistoryAsync(accountId);

        var before = await BalancesAsync(history[0].OccurredAt() - Microsecond);
        var atCreation = await BalancesAsync(history[0].OccurredAt());
        var atDeposit = await BalancesAsync(history[1].OccurredAt());

        if (Totals(before, "ISK") is { } totals)
        {
            Figures(totals).Should().Be((0L, 0m, 0m, 0m));
        }

        Figures(Totals(atCreation, "ISK")!.Value).Should().Be((1L, 0m, 0m, 0m));
        Figures(Totals(atDeposit, "ISK")!.Value).Should().Be((1L, 700m, 700m, 0m));
        ShouldBeBalanced(before);
        ShouldBeBalanced(atDeposit);
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("2026-03-02T14:03:00")]
    [InlineData("2026-03-02 14:03:00Z")]
    public async Task MalformedAsOf_IsRejectedOnAsOf(string asOf)
    {
        await _teller.ExpectValidationErrorAsync($"/api/v1/ledger/balances?asOf={Uri.EscapeDataString(asOf)}", "asOf");
    }

    [Fact]
    public async Task UnderConcurrentTransfersDepositsAndWithdrawals_EveryReadIsBalanced()
    {
        var accounts = new List<Guid>();
        for (var i = 0; i < 8; i++)
        {
            var id = await _teller.OpenAccountAsync("MNT", i % 2 == 0 ? 50m : 0m);
            await _teller.DepositAsync(id, "1000.00");
            accounts.Add(id);
        }

        var load = RunLoadAsync(accounts, new Random(20261124));
        var reads = 0;
        while (!load.IsCompleted)
        {
            ShouldBeBalanced(await BalancesAsync());
            ShouldBeBalanced(await BalancesAsync(DateTimeOffset.UtcNow));
            reads += 2;
        }

        var (deposited, withdrawn) = await load;
        reads.Should().BeGreaterThan(0, "the trial balance was read while the load ran");
        var after = await BalancesAsync();
        ShouldBeBalanced(after);
        var sum = 0m;
        foreach (var id in accounts)
        {
            sum += await _teller.BalanceAsync(id);
        }

        Figures(Totals(after, "MNT")!.Value).Should().Be((8L, sum, 8000m + deposited, withdrawn));
        sum.Should().Be(8000m + deposited - withdrawn);
    }

    /// <summary>400 random transfers, 40 deposits and 40 withdrawals, all at once; returns what was deposited and withdrawn.</summary>
    private async Task<(decimal Deposited, decimal Withdrawn)> RunLoadAsync(List<Guid> accounts, Random random)
    {
        var requests = new List<(string Path, object Body, decimal Deposit, decimal Withdrawal)>();
        for (var i = 0; i < 480; i++)
        {
            var from = accounts[random.Next(accounts.Count)];
            var to = accounts[(accounts.IndexOf(from) + 1 + random.Next(accounts.Count - 1)) % accounts.Count];
            var amount = random.Next(1, 30000) / 100m;
            requests.Add((i % 12) switch
            {
                10 => ($"/api/v1/accounts/{from}/deposits", new { amount }, amount, 0m),
                11 => ($"/api/v1/accounts/{from}/withdrawals", new { amount }, 0m, amount),
                _ => ("/api/v1/transfers", new { fromAccountId = from, toAccountId = to, amount }, 0m, 0m),
            });
        }

        var results = await Task.WhenAll(requests.Select(async request =>
        {
            await Task.Yield();
            using var response = await _teller.Http.PostAsJsonAsync(request.Path, request.Body);
            response.StatusCode.Should().BeOneOf([HttpStatusCode.OK, HttpStatusCode.Created, HttpStatusCode.UnprocessableEntity],
                await response.Content.ReadAsStringAsync());
            var applied = response.StatusCode != HttpStatusCode.UnprocessableEntity;
            return (Deposit: applied ? request.Deposit : 0m, Withdrawal: applied ? request.Withdrawal : 0m, applied);
        }));

        results.Count(result => result.applied).Should().BeGreaterThan(240, "most of the load must take effect to prove anything");
        return (results.Sum(result => result.Deposit), results.Sum(result => result.Withdrawal));
    }
}
