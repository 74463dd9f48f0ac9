using System.Net;
using System.Net.Http.Json;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Domain.Accounts;
using Ledger.Testing;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Ledger.Api.Tests.Accounts;

/// <summary>
/// No lost updates and no overdraft, whatever the concurrency. A request may be answered "busy" when the machine cannot keep
/// up (Commands:TimeLimit, ADR-009): it recorded nothing, the client sends it again, and the money must still add up.
/// </summary>
[Collection(LoadGroup.Name)]
public sealed class ConcurrencyTests(LedgerApiFactory factory)
{
    private readonly Teller _teller = new(factory.CreateClient());

    [Fact]
    public async Task FiftyConcurrentWithdrawalsOfTenFromOneHundred_ExactlyTenSucceed()
    {
        var id = await _teller.OpenAccountAsync();
        await _teller.DepositAsync(id, 100);

        // Each client retries a busy answer with its own key until it gets a definite one.
        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ =>
        {
            var key = Guid.NewGuid().ToString();
            return Contention.SendUntilAnsweredAsync(_teller.Http, () => Withdrawal(id, key), [HttpStatusCode.OK, HttpStatusCode.UnprocessableEntity]);
        }));

        answers.Count(answer => answer.Answer.StatusCode == HttpStatusCode.OK).Should()
            .Be(10, "ten withdrawals of 10 empty 100, and more must not pass");
        var account = await _teller.GetAccountAsync(id);
        account.GetProperty("balance").GetDecimal().Should().Be(0m);
        account.GetProperty("version").GetInt64().Should().Be(12, "one creation, one deposit, ten withdrawals");
        foreach (var (answer, _) in answers)
        {
            answer.Dispose();
        }
    }

    private static HttpRequestMessage Withdrawal(Guid accountId, string idempotencyKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/accounts/{accountId}/withdrawals") { Content = JsonContent.Create(new { amount = 10 }) };
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        return request;
    }

    [Fact]
    public async Task ThousandConcurrentRandomTransfersAmongTenAccounts_PreserveTheSumAndMatchAReplay()
    {
        var accounts = new List<Guid>();
        for (var i = 0; i < 10; i++)
        {
            var id = await _teller.OpenAccountAsync(overdraftLimit: i % 3 == 0 ? 50 : 0);
            await _teller.DepositAsync(id, 100);
            accounts.Add(id);
        }

        var random = new Random(20261123);
        var transfers = Enumerable.Range(0, 1000).Select(_ =>
        {
            var from = accounts[random.Next(accounts.Count)];
            var to = accounts[(accounts.IndexOf(from) + 1 + random.Next(accounts.Count - 1)) % accounts.Count];
            return new { transferId = Guid.NewGuid(), fromAccountId = from, toAccountId = to, amount = random.Next(1, 4000) / 100m };
        }).ToList();

        // Each client retries a busy answer with the same transferId until it gets a definite one.
        var answers = await Task.WhenAll(transfers.Select(transfer => Contention.SendUntilAnsweredAsync(_teller.Http,
            () => new HttpRequestMessage(HttpMethod.Post, "/api/v1/transfers") { Content = JsonContent.Create(transfer) },
            [HttpStatusCode.Created, HttpStatusCode.UnprocessableEntity], TimeSpan.FromMinutes(3))));

        answers.Count(answer => answer.Answer.StatusCode == HttpStatusCode.Created).Should().BeGreaterThan(500);
        var balances = new List<decimal>();
        foreach (var id in accounts)
        {
            var view = await _teller.GetAccountAsync(id);
            var balance = view.GetProperty("balance").GetDecimal();
            balance.Should().BeGreaterThanOrEqualTo(-view.GetProperty("overdraftLimit").GetDecimal());
            (await ReplayAsync(id)).BalanceMinor.Should().Be((long)(balance * 100), "the read model must equal a replay of the stream");
            balances.Add(balance);
        }

        balances.Sum().Should().Be(1000m);
        foreach (var (answer, _) in answers)
        {
            answer.Dispose();
        }
    }

    private async Task<Account> ReplayAsync(Guid accountId)
    {
        var store = factory.Services.GetRequiredService<IDocumentStore>();
        await using var session = store.QuerySession();
        var events = await session.Events.FetchStreamAsync(accountId);
        return AccountDecider.Fold(events.Select(e => (IAccountEvent)e.Data))!;
    }
}
