using System.Net;
using Ledger.Api.Tests.Http;
using Ledger.Testing;

namespace Ledger.Api.Tests.Projections;

/// <summary>
/// A history with every event type, an overdraft used, two currencies (one without minor units), and concurrent
/// transfers of which some are refused — what a rebuild must reproduce exactly. Arranged through the API only.
/// </summary>
public static class LedgerHistory
{
    public static async Task<IReadOnlyList<Guid>> ArrangeAsync(Teller teller, int concurrentTransfers = 60)
    {
        ArgumentNullException.ThrowIfNull(teller);
        var a = await teller.OpenFundedAccountAsync("1000.00");
        var b = await teller.OpenFundedAccountAsync("50.00", overdraftLimit: 200);
        var c = await teller.OpenAccountAsync();
        var yenFrom = await teller.OpenFundedAccountAsync("100000", currency: "JPY");
        var yenTo = await teller.OpenAccountAsync("JPY");

        await teller.WithdrawAsync(a, "10.50");
        await teller.WithdrawAsync(b, "200.00");
        await teller.TransferAsync(a, c, "100.00");
        await teller.TransferAsync(yenFrom, yenTo, "5000");

        Guid[] euro = [a, b, c];
        var random = new Random(7);
        var transfers = Enumerable.Range(0, concurrentTransfers).Select(i =>
        {
            var from = euro[random.Next(3)];
            var to = euro.Where(id => id != from).ElementAt(random.Next(2));
            return (from, to, amount: $"{random.Next(1, 300)}.{random.Next(100):D2}");
        }).ToList();
        var responses = await Task.WhenAll(transfers.Select(t => teller.TransferRawAsync(new { fromAccountId = t.from, toAccountId = t.to, amount = t.amount })));
        foreach (var response in responses)
        {
            // Refusals (insufficient funds) are part of a real history; anything else is a failure of the arrangement.
            response.StatusCode.Should().BeOneOf(HttpStatusCode.Created, HttpStatusCode.UnprocessableEntity);
            response.Dispose();
        }

        return [a, b, c, yenFrom, yenTo];
    }
}
