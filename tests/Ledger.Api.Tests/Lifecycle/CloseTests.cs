using System.Net;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Testing;

namespace Ledger.Api.Tests.Lifecycle;

/// <summary>An account closes at a zero balance with no open hold; afterwards it takes no command, and stays readable.</summary>
[Collection(ApiFixtureGroup.Name)]
public sealed class CloseTests(LedgerApiFactory factory)
{
    private readonly Teller _teller = new(factory.CreateClient());

    [Fact]
    public async Task AtZeroBalanceWithoutHolds_Closes()
    {
        var accountId = await _teller.OpenFundedAccountAsync("10.00");
        await _teller.WithdrawAsync(accountId, "10.00");

        using var response = await _teller.CloseRawAsync(accountId, """{"reason":"customer moved abroad"}""");

        var view = await Teller.Expect(response, HttpStatusCode.OK);
        response.Headers.ETag?.Tag.Should().Be("\"4\"");
        view.GetProperty("status").GetString().Should().Be("closed");
        view.GetProperty("balance").GetRawText().Should().Be("0.00");
    }

    [Fact]
    public async Task WithoutAReason_Closes()
    {
        var accountId = await _teller.OpenAccountAsync();

        var view = await _teller.CloseAsync(accountId);

        view.GetProperty("status").GetString().Should().Be("closed");
    }

    [Theory]
    [InlineData("0.01", 0)]
    [InlineData("-0.01", 10)]
    public async Task WithABalance_IsNotSettled(string balance, int overdraftLimit)
    {
        var accountId = await _teller.OpenAccountAsync(overdraftLimit: overdraftLimit);
        if (balance.StartsWith('-'))
        {
            await _teller.WithdrawAsync(accountId, balance[1..]);
        }
        else
        {
            await _teller.DepositAsync(accountId, balance);
        }

        using var response = await _teller.CloseRawAsync(accountId, "{}");

        await Teller.ExpectProblem(response, HttpStatusCode.UnprocessableEntity, ProblemTypes.AccountNotSettled);
        (await _teller.GetAccountAsync(accountId)).GetProperty("status").GetString().Should().Be("open");
    }

    [Fact]
    public async Task WithAnOpenHold_IsNotSettled_UntilTheHoldIsReleased()
    {
        // A zero balance, but 5.00 of the overdraft is held.
        var accountId = await _teller.OpenAccountAsync(overdraftLimit: 10);
        var holdId = Guid.NewGuid();
        await _teller.PlaceHoldAsync(accountId, "5.00", holdId);

        using (var refused = await _teller.CloseRawAsync(accountId, "{}"))
        {
            var problem = await Teller.ExpectProblem(refused, HttpStatusCode.UnprocessableEntity, ProblemTypes.AccountNotSettled);
            problem.GetProperty("detail").GetString().Should().Contain("1 open hold");
        }

        await _teller.ReleaseAsync(accountId, holdId);
        (await _teller.CloseAsync(accountId)).GetProperty("status").GetString().Should().Be("closed");
    }

    [Fact]
    public async Task AFrozenAccount_IsUnfrozenBeforeItCloses()
    {
        var accountId = await _teller.OpenAccountAsync();
        await _teller.FreezeAsync(accountId);

        using var response = await _teller.CloseRawAsync(accountId, "{}");

        await Teller.ExpectProblem(response, HttpStatusCode.UnprocessableEntity, ProblemTypes.AccountFrozen);
        (await _teller.GetAccountAsync(accountId)).GetProperty("status").GetString().Should().Be("frozen");
    }

    [Fact]
    public async Task Closed_RefusesEveryCommand()
    {
        var accountId = await ClosedAccountAsync();
        var other = await _teller.OpenFundedAccountAsync("10.00");
        var otherHold = Guid.NewGuid();
        await _teller.PlaceHoldAsync(other, "1.00", otherHold);

        var attempts = new Dictionary<string, Func<Task<HttpResponseMessage>>>
        {
            ["deposit"] = () => _teller.DepositRawAsync(accountId, """{"amount":"1.00"}"""),
            ["withdrawal"] = () => _teller.WithdrawRawAsync(accountId, """{"amount":"1.00"}"""),
            ["outgoing transfer"] = () => _teller.TransferRawAsync(new { fromAccountId = accountId, toAccountId = other, amount = "1.00" }),
            ["incoming transfer"] = () => _teller.TransferRawAsync(new { fromAccountId = other, toAccountId = accountId, amount = "1.00" }),
            ["hold"] = () => _teller.PlaceHoldRawAsync(accountId, """{"amount":"1.00"}"""),
            ["capture to it"] = () => _teller.CaptureRawAsync(other, otherHold, Teller.Json(new { toAccountId = accountId })),
            ["freeze"] = () => _teller.FreezeRawAsync(accountId, """{"reason":"x"}"""),
            ["unfreeze"] = () => _teller.UnfreezeRawAsync(accountId, """{"reason":"x"}"""),
            ["close"] = () => _teller.CloseRawAsync(accountId, "{}"),
        };

        foreach (var (name, attempt) in attempts)
        {
            using var response = await attempt();
            var body = await response.Content.ReadAsStringAsync();
            response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity, "a closed account refuses a {0}; got {1}", name, body);
            body.Should().Contain(ProblemTypes.AccountClosed, "a closed account refuses a {0}", name);
        }

        (await _teller.StateAsync(accountId)).Should().Be(("0.00", 2L));
        (await _teller.StateAsync(other)).Should().Be(("10.00", 3L));
    }

    [Fact]
    public async Task Closed_StaysReadable()
    {
        var accountId = await _teller.OpenFundedAccountAsync("10.00");
        await _teller.WithdrawAsync(accountId, "10.00");
        await _teller.CloseAsync(accountId);
        using var auditor = factory.CreateClient();

        var view = await _teller.GetAccountAsync(accountId);
        using var history = await auditor.GetAsync(new Uri($"/api/v1/accounts/{accountId}/history", UriKind.Relative));

        view.GetProperty("status").GetString().Should().Be("closed");
        view.GetProperty("version").GetInt64().Should().Be(4);
        var entries = (await Teller.Expect(history, HttpStatusCode.OK)).GetProperty("entries").EnumerateArray().ToList();
        entries.Select(entry => entry.GetProperty("type").GetString()).Should().Equal("AccountCreated", "MoneyDeposited", "MoneyWithdrawn", "AccountClosed");
    }

    [Fact]
    public async Task UnknownAccount_Returns404()
    {
        using var response = await _teller.CloseRawAsync(Guid.NewGuid(), "{}");

        await Teller.ExpectProblem(response, HttpStatusCode.NotFound, ProblemTypes.AccountNotFound);
    }

    [Fact]
    public async Task CloseWithTheSameIdempotencyKey_ReplaysTheFirstAnswer()
    {
        var accountId = await _teller.OpenAccountAsync();
        var key = ("Idempotency-Key", $"close-{Guid.NewGuid():N}");

        using var first = await _teller.CloseRawAsync(accountId, "{}", key);
        using var second = await _teller.CloseRawAsync(accountId, "{}", key);

        await Teller.Expect(first, HttpStatusCode.OK);
        (await Teller.Expect(second, HttpStatusCode.OK)).GetProperty("status").GetString().Should().Be("closed");
        second.Headers.GetValues("Idempotency-Replayed").Should().Equal("true");
    }

    private async Task<Guid> ClosedAccountAsync()
    {
        var accountId = await _teller.OpenAccountAsync();
        await _teller.CloseAsync(accountId);
        return accountId;
    }
}
