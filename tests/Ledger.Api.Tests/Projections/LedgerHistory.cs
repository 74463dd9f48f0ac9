using System.Net;
using Ledger.Api.Tests.Http;
using Ledger.Domain.Accounts;
using Ledger.Testing;

namespace Ledger.Api.Tests.Projections;

/// <summary>
/// A history with every event type, an overdraft used, two currencies (one without minor units), and concurrent
/// transfers of which some are refused — what a rebuild must reproduce exactly. Arranged through the API, except holds,
/// which <paramref name="writer"/> places, captures and releases through the store as the API's group commit would.
/// </summary>
public static class LedgerHistory
{
    public static async Task<IReadOnlyList<Guid>> ArrangeAsync(Teller teller, LedgerWriter writer, int concurrentTransfers = 60)
    {
        ArgumentNullException.ThrowIfNull(teller);
        ArgumentNullException.ThrowIfNull(writer);
        var a = await teller.OpenFundedAccountAsync("1000.00");
        var b = await teller.OpenFundedAccountAsync("50.00", overdraftLimit: 200);
        var c = await teller.OpenAccountAsync();
        var yenFrom = await teller.OpenFundedAccountAsync("100000", currency: "JPY");
        var yenTo = await teller.OpenAccountAsync("JPY");

        await teller.WithdrawAsync(a, "10.50");
        await teller.WithdrawAsync(b, "200.00");
        await teller.TransferAsync(a, c, "100.00");
        await teller.TransferAsync(yenFrom, yenTo, "5000");
        await ArrangeLifecycleAndHoldsAsync(teller, writer, a, b, c, yenTo);

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

    /// <summary>
    /// A freeze and an unfreeze, a closed account, and holds: captured in part to another account, approved out of the
    /// ledger, released, rejected and expired.
    /// </summary>
    private static async Task ArrangeLifecycleAndHoldsAsync(Teller teller, LedgerWriter writer, Guid a, Guid b, Guid c, Guid yen)
    {
        await ChangeStatusAsync(teller, c, "freeze", "suspicious activity");
        await ChangeStatusAsync(teller, c, "unfreeze", "cleared");
        await ChangeStatusAsync(teller, await teller.OpenAccountAsync(), "close", "opened by mistake");

        await writer.CaptureAsync(await writer.PlaceHoldAsync(a, 50_00, "hotel"), 20_00, c);
        await writer.ApproveAsync(await writer.PlaceHoldAsync(a, 30_00, purpose: HoldPurpose.WithdrawalApproval, requestedBy: "clerk"), "supervisor");
        await writer.ReleaseAsync(await writer.PlaceHoldAsync(b, 10_00));
        await writer.ReleaseAsync(await writer.PlaceHoldAsync(a, 5_00, purpose: HoldPurpose.TransferApproval, toAccountId: b, requestedBy: "clerk"),
            ReleaseReasons.Rejected, rejectedBy: "supervisor");
        // Expired: released by the expiry process at its expiry, a moment after now (the domain keeps time from going back).
        var expiresAt = DateTimeOffset.UtcNow.AddSeconds(1);
        await writer.ReleaseAsync(await writer.PlaceHoldAsync(yen, 100, expiresAt: expiresAt), ReleaseReasons.Expired, at: expiresAt);
    }

    private static async Task ChangeStatusAsync(Teller teller, Guid accountId, string change, string reason)
    {
        using var response = await teller.PostJsonAsync($"{Teller.AccountsPath}/{accountId}/{change}", Teller.Json(new { reason }));
        await Teller.Expect(response, HttpStatusCode.OK);
    }
}
