using System.Net;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Testing;

namespace Ledger.Api.Tests.Transfers;

/// <summary>
/// Requests racing with one client-chosen id (account id, transfer id): exactly one writes, and every other one answers as
/// a retry would, with the first answer when its content is the same and a conflict when it differs.
/// </summary>
[Collection(ApiFixtureGroup.Name)]
public sealed class NaturalKeyRaceTests(LedgerApiFactory factory)
{
    private const int Racers = 16;
    private readonly Teller _teller = new(factory.CreateClient());

    [Fact]
    public async Task ConcurrentOpeningsWithOneAccountId_OneAccountAndEveryAnswerAReplayOrAConflict()
    {
        var accountId = Guid.NewGuid();
        var responses = await Task.WhenAll(Enumerable.Range(0, Racers).Select(i =>
            _teller.OpenAccountRawAsync(new { accountId, owner = i % 2 == 0 ? "Ada Lovelace" : "Grace Hopper", currency = "EUR" })));

        var owner = (await _teller.GetAccountAsync(accountId)).GetProperty("owner").GetString();
        foreach (var (response, i) in responses.Select((response, i) => (response, i)))
        {
            using (response)
            {
                if ((i % 2 == 0 ? "Ada Lovelace" : "Grace Hopper") == owner)
                {
                    (await Teller.Expect(response, HttpStatusCode.Created)).GetProperty("version").GetInt64().Should().Be(1);
                }
                else
                {
                    await Teller.ExpectProblem(response, HttpStatusCode.Conflict, "/problems/account-already-exists");
                }
            }
        }

        (await _teller.StateAsync(accountId)).Should().Be(("0.00", 1L));
    }

    [Fact]
    public async Task ConcurrentTransfersWithOneTransferIdBetweenOtherAccounts_OneMovesMoneyAndEveryAnswerAReplayOrAConflict()
    {
        var transferId = Guid.NewGuid();
        var pairs = new List<(Guid From, Guid To)>();
        for (var i = 0; i < 4; i++)
        {
            pairs.Add((await _teller.OpenFundedAccountAsync("10.00"), await _teller.OpenAccountAsync()));
        }

        // Different account pairs take different locks, so the requests meet only at the transfer id.
        var responses = await Task.WhenAll(Enumerable.Range(0, Racers).Select(i =>
            _teller.TransferRawAsync(new { transferId, fromAccountId = pairs[i % pairs.Count].From, toAccountId = pairs[i % pairs.Count].To, amount = "1.00" })));

        using var read = await _teller.GetAsync($"/api/v1/transfers/{transferId}");
        var receipt = await Teller.Expect(read, HttpStatusCode.OK);
        var winner = receipt.GetProperty("fromAccountId").GetGuid();
        foreach (var (response, i) in responses.Select((response, i) => (response, i)))
        {
            using (response)
            {
                if (pairs[i % pairs.Count].From == winner)
                {
                    (await Teller.Expect(response, HttpStatusCode.Created)).GetProperty("fromBalance").GetRawText().Should().Be("9.00");
                }
                else
                {
                    await Teller.ExpectProblem(response, HttpStatusCode.Conflict, "/problems/transfer-already-exists");
                }
            }
        }

        foreach (var (from, to) in pairs)
        {
            (await _teller.StateAsync(from)).Balance.Should().Be(from == winner ? "9.00" : "10.00");
            (await _teller.StateAsync(to)).Balance.Should().Be(from == winner ? "1.00" : "0.00");
        }
    }
}
