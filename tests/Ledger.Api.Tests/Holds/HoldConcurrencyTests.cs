using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Domain.Accounts;
using Ledger.Testing;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Ledger.Api.Tests.Holds;

/// <summary>
/// A hold closes exactly once, and what is held never lets debits past what is available, whatever the concurrency. A
/// busy answer (503) recorded nothing; the client sends the request again.
/// </summary>
[Collection(LoadGroup.Name)]
public sealed class HoldConcurrencyTests(LedgerApiFactory factory)
{
    private static readonly HttpStatusCode[] Settled = [HttpStatusCode.OK, HttpStatusCode.Conflict];

    private readonly Teller _teller = new(factory.CreateClient());

    [Fact]
    public async Task ManyCapturesAndReleasesOfOneHoldAtOnce_ExactlyOneWins()
    {
        var accountId = await _teller.OpenFundedAccountAsync("1000.00");
        var merchant = await _teller.OpenAccountAsync();
        var holdIds = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            holdIds.Add((await _teller.PlaceHoldAsync(accountId, "100.00")).GetProperty("holdId").GetGuid());
        }

        // Per hold: 10 captures to the merchant, 10 partial captures out of the ledger and 10 releases, all at once.
        var attempts = holdIds.SelectMany(holdId => Enumerable.Range(0, 30).Select(i => (holdId, Kind: i % 3))).ToList();
        var answers = await Task.WhenAll(attempts.Select(attempt => Contention.SendUntilAnsweredAsync(_teller.Http,
            () => Settle(accountId, attempt.holdId, attempt.Kind, merchant), Settled)));

        var expectedBalance = 1000.00m;
        var merchantBalance = 0m;
        foreach (var holdId in holdIds)
        {
            var outcomes = new List<(int Kind, HttpStatusCode Status, string Body)>();
            for (var i = 0; i < attempts.Count; i++)
            {
                if (attempts[i].holdId == holdId)
                {
                    outcomes.Add((attempts[i].Kind, answers[i].Answer.StatusCode, await answers[i].Answer.Content.ReadAsStringAsync()));
                }
            }

            var winners = outcomes.Where(outcome => outcome.Status == HttpStatusCode.OK).ToList();
            winners.Should().ContainSingle("hold {0} closes exactly once", holdId);
            outcomes.Where(outcome => outcome.Status != HttpStatusCode.OK).Should().OnlyContain(outcome =>
                JsonDocument.Parse(outcome.Body).RootElement.GetProperty("type").GetString() == ProblemTypes.HoldNotOpen);
            (await ClosingEventsAsync(accountId, holdId)).Should().Be(1, "one HoldCaptured or HoldReleased for hold {0}", holdId);
            var hold = await _teller.GetHoldAsync(accountId, holdId);
            switch (winners[0].Kind)
            {
                case 0:
                    hold.GetProperty("capturedToAccountId").GetGuid().Should().Be(merchant);
                    expectedBalance -= 100m;
                    merchantBalance += 100m;
                    break;
                case 1:
                    hold.GetProperty("capturedAmount").GetDecimal().Should().Be(40m);
                    expectedBalance -= 40m;
                    break;
                default:
                    hold.GetProperty("status").GetString().Should().Be("released");
                    break;
            }
        }

        var account = await _teller.GetAccountAsync(accountId);
        account.GetProperty("balance").GetDecimal().Should().Be(expectedBalance);
        account.GetProperty("held").GetDecimal().Should().Be(0m);
        (await _teller.BalanceAsync(merchant)).Should().Be(merchantBalance);
        (await ReplayAsync(accountId)).Should().BeEquivalentTo(new { BalanceMinor = (long)(expectedBalance * 100), HeldMinor = 0L, HoldsOpen = 0 });
        foreach (var (answer, _) in answers)
        {
            answer.Dispose();
        }
    }

    [Fact]
    public async Task HoldsAndWithdrawalsRacingOnOneAccount_NeverTakeMoreThanIsAvailable()
    {
        // 100.00 plus 20.00 of overdraft; 40 holds of 5.00 and 40 withdrawals of 7.00 ask for 480.00 at once.
        var accountId = await _teller.OpenFundedAccountAsync("100.00", overdraftLimit: 20);
        var requests = Enumerable.Range(0, 80).Select(i => i % 2 == 0
            ? (Path: Teller.HoldsPath(accountId), Amount: 5m, Key: $"hold-{Guid.NewGuid():N}")
            : (Path: $"{Teller.AccountsPath}/{accountId}/withdrawals", Amount: 7m, Key: $"withdrawal-{Guid.NewGuid():N}")).ToList();

        var answers = await Task.WhenAll(requests.Select(request => Contention.SendUntilAnsweredAsync(_teller.Http, () =>
            {
                var message = new HttpRequestMessage(HttpMethod.Post, request.Path) { Content = JsonContent.Create(new { amount = request.Amount }) };
                message.Headers.Add("Idempotency-Key", request.Key);
                return message;
            },
            [HttpStatusCode.OK, HttpStatusCode.Created, HttpStatusCode.UnprocessableEntity])));

        var accepted = requests.Zip(answers).Where(pair => pair.Second.Answer.IsSuccessStatusCode).Select(pair => pair.First).ToList();
        var refused = requests.Zip(answers).Where(pair => !pair.Second.Answer.IsSuccessStatusCode).Select(pair => pair.First).ToList();
        foreach (var (answer, _) in answers.Where(answer => !answer.Answer.IsSuccessStatusCode))
        {
            var body = await answer.Content.ReadAsStringAsync();
            JsonDocument.Parse(body).RootElement.GetProperty("type").GetString().Should().Be(ProblemTypes.InsufficientFunds);
        }

        var taken = accepted.Sum(request => request.Amount);
        taken.Should().BeLessThanOrEqualTo(120m, "no accepted debit or hold goes beyond balance plus overdraft");
        var account = await _teller.GetAccountAsync(accountId);
        var (balance, held, available) = (account.GetProperty("balance").GetDecimal(), account.GetProperty("held").GetDecimal(),
            account.GetProperty("available").GetDecimal());
        balance.Should().Be(100m - accepted.Where(request => request.Amount == 7m).Sum(request => request.Amount));
        held.Should().Be(accepted.Where(request => request.Amount == 5m).Sum(request => request.Amount));
        available.Should().Be(120m - taken).And.BeGreaterThanOrEqualTo(0m);
        // What is available only shrinks here, so a request refused at any moment would be refused at the end too.
        foreach (var amount in refused.Select(request => request.Amount).Distinct())
        {
            available.Should().BeLessThan(amount, "a request for {0} was refused, so less than that was left", amount);
        }

        var fromEvents = await FromEventsAsync(accountId);
        fromEvents.OpenHeldMinor.Should().Be((long)(held * 100), "held is the sum of the open holds in the events");
        (fromEvents.BalanceMinor + 2000 - fromEvents.OpenHeldMinor).Should().Be((long)(available * 100));
        foreach (var (answer, _) in answers)
        {
            answer.Dispose();
        }
    }

    private static HttpRequestMessage Settle(Guid accountId, Guid holdId, int kind, Guid merchant)
    {
        var path = Teller.HoldPath(accountId, holdId);
        return kind switch
        {
            0 => new HttpRequestMessage(HttpMethod.Post, $"{path}/capture") { Content = JsonContent.Create(new { toAccountId = merchant }) },
            1 => new HttpRequestMessage(HttpMethod.Post, $"{path}/capture") { Content = JsonContent.Create(new { amount = "40.00" }) },
            _ => new HttpRequestMessage(HttpMethod.Post, $"{path}/release"),
        };
    }

    /// <summary>HoldCaptured and HoldReleased events of the hold in its account's stream (a capture to another account is in that one's too).</summary>
    private Task<long> ClosingEventsAsync(Guid accountId, Guid holdId) => Sql.ScalarAsync<long>(factory.ConnectionString,
        "select count(*) from ledger.mt_events where stream_id = $1 and type in ('hold_captured', 'hold_released') and data->>'holdId' = $2",
        accountId, holdId.ToString());

    /// <summary>The account's balance and the sum of its open holds, computed from its events alone.</summary>
    private async Task<(long BalanceMinor, long OpenHeldMinor)> FromEventsAsync(Guid accountId)
    {
        var store = factory.Services.GetRequiredService<IDocumentStore>();
        await using var session = store.QuerySession();
        var events = (await session.Events.FetchStreamAsync(accountId)).Select(e => e.Data).ToList();
        var placed = events.OfType<HoldPlaced>().ToDictionary(e => e.HoldId, e => e.AmountMinor);
        var closed = events.OfType<HoldCaptured>().Select(e => e.HoldId).Concat(events.OfType<HoldReleased>().Select(e => e.HoldId)).ToHashSet();
        var balance = events.OfType<MoneyDeposited>().Sum(e => e.AmountMinor) - events.OfType<MoneyWithdrawn>().Sum(e => e.AmountMinor)
            - events.OfType<HoldCaptured>().Sum(e => e.AmountMinor);
        return (balance, placed.Where(pair => !closed.Contains(pair.Key)).Sum(pair => pair.Value));
    }

    private async Task<Account> ReplayAsync(Guid accountId)
    {
        var store = factory.Services.GetRequiredService<IDocumentStore>();
        await using var session = store.QuerySession();
        var events = await session.Events.FetchStreamAsync(accountId);
        return AccountDecider.Fold(events.Select(e => (IAccountEvent)e.Data))!;
    }
}
