using System.Net;
using Ledger.Api.Tests.Http;
using Ledger.Testing;

namespace Ledger.Api.Tests.Tombstones;

[CollectionDefinition(Name)]
public sealed class TombstonesGroup : ICollectionFixture<TombstonesFixture>
{
    public const string Name = "tombstones";
}

/// <summary>
/// Each way a failed append leaves Marten's tombstones behind (ADR-008), followed by every reader of the event store:
/// reports, relay, integrity, rebuild and verification must pass them as "no event".
/// </summary>
[Collection(TombstonesGroup.Name)]
public sealed class TombstoneTests(TombstonesFixture fixture)
{
    private readonly Teller _teller = fixture.Teller;

    [Fact]
    public async Task ConcurrentIdenticalAccountCreation_BothSucceedAndTheTombstoneIsPassed()
    {
        var before = await fixture.TombstonesAsync();
        var body = Teller.Json(new { accountId = Guid.NewGuid(), owner = "Grace Hopper", currency = "EUR" });
        Task<HttpResponseMessage> first, second;
        await using (var held = await HeldEventsTable.TakeAsync(fixture.ConnectionString))
        {
            // Both requests get past the existence check and reserve a sequence number; one then loses the race to the stream.
            first = _teller.PostJsonAsync(Teller.AccountsPath, body);
            second = _teller.PostJsonAsync(Teller.AccountsPath, body);
            await held.WaitForWaitersAsync(2);
        }

        using var firstResponse = await first;
        using var secondResponse = await second;
        await Teller.Expect(firstResponse, HttpStatusCode.Created);
        await Teller.Expect(secondResponse, HttpStatusCode.Created);
        await fixture.WaitForTombstonesAsync(before);
        await fixture.AssertEveryReaderPassesTheTombstonesAsync();
    }

    [Fact]
    public async Task FourTransfersSharingATransferIdOnDifferentPairs_OneWinsAndTheTombstonesArePassed()
    {
        var before = await fixture.TombstonesAsync();
        var pairs = new List<(Guid From, Guid To)>();
        for (var i = 0; i < 4; i++)
        {
            pairs.Add((await _teller.OpenFundedAccountAsync("50.00"), await _teller.OpenAccountAsync()));
        }

        // A first transfer readies the path (Marten generates its storage code on first use), so the ones below meet at the lock.
        await _teller.TransferAsync(pairs[0].From, pairs[0].To, "1.00");
        var transferId = Guid.NewGuid();
        var transfers = new List<Task<HttpResponseMessage>>();
        Task<HttpResponseMessage> Send(int i) => _teller.TransferRawAsync(
            new { transferId, fromAccountId = pairs[i].From, toAccountId = pairs[i].To, amount = "10.00" });
        await using (var held = await HeldEventsTable.TakeAsync(fixture.ConnectionString))
        {
            // One transfer per group commit writer (two), each past its receipt look-up and its sequence numbers, waiting to
            // insert; the loser's append fails on the receipt after reserving them. The other two wait for a writer.
            transfers.Add(Send(0));
            await held.WaitForWaitersAsync(1);
            transfers.Add(Send(1));
            await held.WaitForWaitersAsync(2);
            transfers.Add(Send(2));
            transfers.Add(Send(3));
            await fixture.WaitForWaitingCommandsAsync(2);
        }

        var responses = await Task.WhenAll(transfers);
        responses.Count(r => r.StatusCode == HttpStatusCode.Created).Should().Be(1);
        responses.Where(r => r.StatusCode != HttpStatusCode.Created).Select(r => r.StatusCode)
            .Should().AllBeEquivalentTo(HttpStatusCode.Conflict);
        foreach (var response in responses)
        {
            response.Dispose();
        }

        await fixture.WaitForTombstonesAsync(before);
        await fixture.AssertEveryReaderPassesTheTombstonesAsync();
    }

    [Fact]
    public async Task AnAppendWaitingForALockPastItsTimeLimit_NothingIsAppliedAndTheTombstoneIsPassed()
    {
        var accountId = await _teller.OpenFundedAccountAsync("20.00");
        var before = await fixture.TombstonesAsync();
        await using (var held = await HeldEventsTable.TakeAsync(fixture.ConnectionString))
        {
            // The deposit has its sequence number and waits to insert; at its time limit (1 s here) PostgreSQL cancels the insert.
            var deposit = fixture.TimeLimitedTeller.DepositRawAsync(accountId, """{"amount":"5.00"}""");
            await held.WaitForWaitersAsync(1);
            using var response = await deposit;
            await Teller.ExpectProblem(response, HttpStatusCode.ServiceUnavailable, "/problems/busy");
        }

        await fixture.WaitForTombstonesAsync(before);
        (await _teller.BalanceAsync(accountId)).Should().Be(20.00m);
        await fixture.AssertEveryReaderPassesTheTombstonesAsync();
    }
}
