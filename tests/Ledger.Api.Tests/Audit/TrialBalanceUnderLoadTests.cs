using System.Net;
using System.Net.Http.Json;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Testing;
using static Ledger.Api.Tests.Audit.TrialBalanceTests;

namespace Ledger.Api.Tests.Audit;

/// <summary>
/// The trial balance read while hundreds of writes land at once, in the load collection (an API and a database of its own,
/// nothing running beside it), with a currency (MNT) no other test uses so its totals are exact.
/// </summary>
[Collection(LoadGroup.Name)]
public sealed class TrialBalanceUnderLoadTests(LedgerApiFactory factory)
{
    private readonly Teller _teller = new(factory.CreateClient());

    private readonly Auditor _auditor = new(factory.CreateClient());

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
            ShouldBeBalanced(await _auditor.BalancesAsync());
            ShouldBeBalanced(await _auditor.BalancesAsync(DateTimeOffset.UtcNow));
            reads += 2;
        }

        var (deposited, withdrawn) = await load;
        reads.Should().BeGreaterThan(0, "the trial balance was read while the load ran");
        var after = await _auditor.BalancesAsync();
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
            await Contention.ShouldBeExpectedOrBusyAsync(response, [HttpStatusCode.OK, HttpStatusCode.Created, HttpStatusCode.UnprocessableEntity]);
            // A refusal (422) and a busy answer (503) both recorded nothing.
            var applied = response.IsSuccessStatusCode;
            return (Deposit: applied ? request.Deposit : 0m, Withdrawal: applied ? request.Withdrawal : 0m, applied, busy: response.StatusCode == HttpStatusCode.ServiceUnavailable);
        }));

        results.Count(result => result.busy).Should().BeLessThanOrEqualTo(120, "busy answers under contention must stay the exception");
        results.Count(result => result.applied).Should().BeGreaterThan(240, "most of the load must take effect to prove anything");
        return (results.Sum(result => result.Deposit), results.Sum(result => result.Withdrawal));
    }
}
