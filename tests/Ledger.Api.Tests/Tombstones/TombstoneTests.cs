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

        // A first transfer readies the path (Marten generates its storage code on first use), so the four below meet at the lock.
        await _teller.TransferAsync(pairs[0].From, pairs[0].To, "1.00");
        var transferId = Guid.NewGuid();
        List<Task<HttpResponseMessage>> transfers;
        await using (var held = await HeldEventsTable.TakeAsync(fixture.ConnectionString))
        {
            transfers = pairs.Select(pair => _teller.TransferRawAsync(
                new { transferId, fromAccountId = pair.From, toAccountId = pair.To, amount = "10.00" })).ToList();
            await held.WaitForWaitersAsync(4);
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
    public async Task ClientGivesUpWhileTheAppendWaitsForALock_NothingIsAppliedAndTheTombstoneIsPassed()
    {
        var accountId = await _teller.OpenFundedAccountAsync("20.00");
        var before = await fixture.TombstonesAsync();
        await using (var held = await HeldEventsTable.TakeAsync(fixture.ConnectionString))
        {
            using var timeout = new CancellationTokenSource();
            var deposit = _teller.Http.PostAsync(new Uri($"{Teller.AccountsPath}/{accountId}/deposits", UriKind.Relative),
                new StringContent("""{"amount":"5.00"}""", System.Text.Encoding.UTF8, "application/json"), timeout.Token);
            await held.WaitForWaitersAsync(1);
            await timeout.CancelAsync();
            var giveUp = async () => await deposit;
            await giveUp.Should().ThrowAsync<OperationCanceledException>();
        }

        await fixture.WaitForTombstonesAsync(before);
        (await _teller.BalanceAsync(accountId)).Should().Be(20.00m);
        await fixture.AssertEveryReaderPassesTheTombstonesAsync();
    }
}
