using System.Net;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Testing;

namespace Ledger.Api.Tests.Accounts;

[Collection(ApiFixtureGroup.Name)]
public sealed class SmokeTests(LedgerApiFactory factory)
{
    private readonly Teller _teller = new(factory.CreateClient());

    [Fact]
    public async Task OpenDepositRead_ShowsBalance()
    {
        var id = await _teller.OpenAccountAsync();
        var after = await _teller.DepositAsync(id, "12.34");
        after.GetProperty("balance").GetDecimal().Should().Be(12.34m);
        (await _teller.BalanceAsync(id)).Should().Be(12.34m);
        using var missing = await _teller.Http.GetAsync(new Uri($"/api/v1/accounts/{Guid.NewGuid()}", UriKind.Relative));
        await Teller.ExpectProblem(missing, HttpStatusCode.NotFound, "/problems/account-not-found");
    }
}
