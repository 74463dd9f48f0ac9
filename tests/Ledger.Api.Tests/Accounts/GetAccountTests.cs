using System.Net;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Testing;

namespace Ledger.Api.Tests.Accounts;

[Collection(ApiFixtureGroup.Name)]
public sealed class GetAccountTests(LedgerApiFactory factory)
{
    private readonly Teller _teller = new(factory.CreateClient());

    [Fact]
    public async Task NewAccount_ReturnsViewWithVersionOneETag()
    {
        var accountId = await _teller.OpenAccountAsync("EUR", 25m, "Ada Lovelace");

        using var response = await _teller.GetAsync($"/api/v1/accounts/{accountId}");

        var view = await Teller.Expect(response, HttpStatusCode.OK);
        response.Headers.ETag?.Tag.Should().Be("\"1\"");
        response.Headers.ETag?.IsWeak.Should().BeFalse();
        view.GetProperty("accountId").GetGuid().Should().Be(accountId);
        view.GetProperty("owner").GetString().Should().Be("Ada Lovelace");
        view.GetProperty("currency").GetString().Should().Be("EUR");
        view.GetProperty("balance").GetRawText().Should().Be("0.00");
        view.GetProperty("overdraftLimit").GetRawText().Should().Be("25.00");
        view.GetProperty("status").GetString().Should().Be("open");
        view.GetProperty("version").GetInt64().Should().Be(1);
        view.GetProperty("createdAt").ShouldBeUtcTimestamp();
        view.GetProperty("updatedAt").ShouldBeUtcTimestamp();
    }

    [Fact]
    public async Task AfterMovements_ShowsBalanceVersionAndUpdatedAt()
    {
        var accountId = await _teller.OpenAccountAsync();
        var created = await _teller.GetAccountAsync(accountId);
        await _teller.DepositAsync(accountId, "100");
        await _teller.WithdrawAsync(accountId, "0.70");

        using var response = await _teller.GetAsync($"/api/v1/accounts/{accountId}");

        var view = await Teller.Expect(response, HttpStatusCode.OK);
        response.Headers.ETag?.Tag.Should().Be("\"3\"");
        view.GetProperty("balance").GetRawText().Should().Be("99.30");
        view.GetProperty("version").GetInt64().Should().Be(3);
        view.GetProperty("createdAt").GetString().Should().Be(created.GetProperty("createdAt").GetString());
        view.GetProperty("updatedAt").ShouldBeUtcTimestamp();
        view.GetProperty("updatedAt").GetDateTimeOffset().Should().BeAfter(view.GetProperty("createdAt").GetDateTimeOffset());
    }

    [Theory]
    [InlineData("EUR", "12.3", "12.30")]
    [InlineData("EUR", "12.340", "12.34")]
    [InlineData("JPY", "5", "5")]
    [InlineData("BHD", "1.234", "1.234")]
    [InlineData("KWD", "2", "2.000")]
    public async Task Balance_CarriesCurrencyDigits(string currency, string deposit, string balance)
    {
        var accountId = await _teller.OpenFundedAccountAsync(deposit, currency);

        var view = await _teller.GetAccountAsync(accountId);

        view.GetProperty("balance").GetRawText().Should().Be(balance);
    }

    [Fact]
    public async Task NegativeBalance_IsShownWithSign()
    {
        var accountId = await _teller.OpenAccountAsync("EUR", 50m);
        await _teller.WithdrawAsync(accountId, "12.3");

        (await _teller.StateAsync(accountId)).Should().Be(("-12.30", 2L));
    }

    [Fact]
    public async Task UnknownAccount_Returns404()
    {
        var accountId = Guid.NewGuid();

        using var response = await _teller.GetAsync($"/api/v1/accounts/{accountId}");

        var problem = await Teller.ExpectProblem(response, HttpStatusCode.NotFound, ProblemTypes.AccountNotFound);
        problem.GetProperty("detail").GetString().Should().Contain(accountId.ToString());
    }

    [Theory]
    [InlineData("not-a-uuid")]
    [InlineData("12345")]
    [InlineData("01a209ba-99cc-75c1-90d3-577638af97b")]
    public async Task NonUuidId_Returns400(string accountId)
    {
        using var response = await _teller.GetAsync($"/api/v1/accounts/{accountId}");

        var problem = await Teller.ExpectProblem(response, HttpStatusCode.BadRequest, ProblemTypes.MalformedRequest);
        problem.ShouldBeCompleteProblem(400);
    }
}
