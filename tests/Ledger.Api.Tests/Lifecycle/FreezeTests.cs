using System.Net;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Contracts;
using Ledger.Testing;

namespace Ledger.Api.Tests.Lifecycle;

/// <summary>
/// A frozen account: money may come in (deposits, incoming transfers, captures to it) but not go out (withdrawals,
/// outgoing transfers, new holds, captures of its holds) until it is unfrozen.
/// </summary>
[Collection(ApiFixtureGroup.Name)]
public sealed class FreezeTests(LedgerApiFactory factory)
{
    private readonly Teller _teller = new(factory.CreateClient());

    [Fact]
    public async Task Freeze_ReturnsTheFrozenAccountWithItsETag()
    {
        var accountId = await _teller.OpenFundedAccountAsync("100.00");

        using var response = await _teller.FreezeRawAsync(accountId, """{"reason":"card reported stolen"}""");

        var view = await Teller.Expect(response, HttpStatusCode.OK);
        response.Headers.ETag?.Tag.Should().Be("\"3\"");
        view.GetProperty("status").GetString().Should().Be("frozen");
        view.GetProperty("balance").GetRawText().Should().Be("100.00");
        view.GetProperty("version").GetInt64().Should().Be(3);
        view.GetRawText().Should().Be((await _teller.GetAccountAsync(accountId)).WithoutSequence());
    }

    [Fact]
    public async Task Frozen_RefusesAWithdrawal()
    {
        var accountId = await FrozenAccountAsync("100.00");

        using var response = await _teller.WithdrawRawAsync(accountId, """{"amount":"1.00"}""");

        var problem = await Teller.ExpectProblem(response, HttpStatusCode.UnprocessableEntity, ProblemTypes.AccountFrozen);
        problem.ShouldBeCompleteProblem(422);
        (await _teller.StateAsync(accountId)).Should().Be(("100.00", 3L));
    }

    [Fact]
    public async Task Frozen_RefusesAnOutgoingTransfer()
    {
        var accountId = await FrozenAccountAsync("100.00");
        var other = await _teller.OpenAccountAsync();

        using var response = await _teller.TransferRawAsync(new { fromAccountId = accountId, toAccountId = other, amount = "1.00" });

        await Teller.ExpectProblem(response, HttpStatusCode.UnprocessableEntity, ProblemTypes.AccountFrozen);
        (await _teller.StateAsync(accountId)).Should().Be(("100.00", 3L));
        (await _teller.StateAsync(other)).Should().Be(("0.00", 1L));
    }

    [Fact]
    public async Task Frozen_RefusesANewHold()
    {
        var accountId = await FrozenAccountAsync("100.00");

        using var response = await _teller.PlaceHoldRawAsync(accountId, Teller.Json(new { amount = "1.00" }));

        await Teller.ExpectProblem(response, HttpStatusCode.UnprocessableEntity, ProblemTypes.AccountFrozen);
        (await _teller.GetAccountAsync(accountId)).GetProperty("held").GetRawText().Should().Be("0.00");
    }

    [Fact]
    public async Task Frozen_RefusesTheCaptureOfAHoldPlacedBefore_ButReleasesIt()
    {
        var accountId = await _teller.OpenFundedAccountAsync("100.00");
        var holdId = Guid.NewGuid();
        await _teller.PlaceHoldAsync(accountId, "40.00", holdId);
        await _teller.FreezeAsync(accountId);

        using (var capture = await _teller.CaptureRawAsync(accountId, holdId, null))
        {
            await Teller.ExpectProblem(capture, HttpStatusCode.UnprocessableEntity, ProblemTypes.AccountFrozen);
        }

        var released = await _teller.ReleaseAsync(accountId, holdId);

        released.GetProperty("status").GetString().Should().Be("released", "a release moves no money, so a frozen account may release");
        var account = await _teller.GetAccountAsync(accountId);
        account.GetProperty("balance").GetRawText().Should().Be("100.00");
        account.GetProperty("held").GetRawText().Should().Be("0.00");
    }

    [Fact]
    public async Task Frozen_AcceptsADepositAndAnIncomingTransfer()
    {
        var accountId = await FrozenAccountAsync("100.00");
        var payer = await _teller.OpenFundedAccountAsync("50.00");

        await _teller.DepositAsync(accountId, "10.00");
        await _teller.TransferAsync(payer, accountId, "20.00");

        var view = await _teller.GetAccountAsync(accountId);
        view.GetProperty("balance").GetRawText().Should().Be("130.00");
        view.GetProperty("status").GetString().Should().Be("frozen");
        (await _teller.BalanceAsync(payer)).Should().Be(30.00m);
    }

    [Fact]
    public async Task Frozen_AcceptsACaptureToIt()
    {
        var accountId = await FrozenAccountAsync("0.00");
        var payer = await _teller.OpenFundedAccountAsync("50.00");
        var holdId = Guid.NewGuid();
        await _teller.PlaceHoldAsync(payer, "20.00", holdId);

        await _teller.CaptureAsync(payer, holdId, new { toAccountId = accountId });

        (await _teller.BalanceAsync(accountId)).Should().Be(20.00m);
        (await _teller.BalanceAsync(payer)).Should().Be(30.00m);
    }

    [Fact]
    public async Task Unfreeze_RestoresDebits()
    {
        var accountId = await FrozenAccountAsync("100.00");

        var unfrozen = await _teller.UnfreezeAsync(accountId, "customer identified");
        var withdrawn = await _teller.WithdrawAsync(accountId, "30.00");

        unfrozen.GetProperty("status").GetString().Should().Be("open");
        withdrawn.GetProperty("balance").GetRawText().Should().Be("70.00");
        withdrawn.GetProperty("version").GetInt64().Should().Be(5);
    }

    [Fact]
    public async Task FreezeTwice_Is409AndRecordsNothing()
    {
        var accountId = await FrozenAccountAsync("5.00");

        using var response = await _teller.FreezeRawAsync(accountId, """{"reason":"again"}""");

        await Teller.ExpectProblem(response, HttpStatusCode.Conflict, ProblemTypes.AccountStatusUnchanged);
        (await _teller.StateAsync(accountId)).Should().Be(("5.00", 3L));
    }

    [Fact]
    public async Task UnfreezeOfAnOpenAccount_Is409()
    {
        var accountId = await _teller.OpenAccountAsync();

        using var response = await _teller.UnfreezeRawAsync(accountId, """{"reason":"nothing to undo"}""");

        await Teller.ExpectProblem(response, HttpStatusCode.Conflict, ProblemTypes.AccountStatusUnchanged);
        (await _teller.StateAsync(accountId)).Should().Be(("0.00", 1L));
    }

    [Fact]
    public async Task FreezeWithTheSameIdempotencyKey_ReplaysTheFirstAnswer()
    {
        var accountId = await _teller.OpenFundedAccountAsync("5.00");
        var key = ("Idempotency-Key", $"freeze-{Guid.NewGuid():N}");

        using var first = await _teller.FreezeRawAsync(accountId, """{"reason":"suspected fraud"}""", key);
        using var second = await _teller.FreezeRawAsync(accountId, """{"reason":"suspected fraud"}""", key);

        var firstBody = await Teller.Expect(first, HttpStatusCode.OK);
        (await Teller.Expect(second, HttpStatusCode.OK)).GetRawText().Should().Be(firstBody.GetRawText());
        second.Headers.GetValues("Idempotency-Replayed").Should().Equal("true");
        (await _teller.StateAsync(accountId)).Should().Be(("5.00", 3L));
    }

    [Fact]
    public async Task UnfreezeWithTheSameIdempotencyKey_ReplaysTheFirstAnswer()
    {
        var accountId = await FrozenAccountAsync("5.00");
        var key = ("Idempotency-Key", $"unfreeze-{Guid.NewGuid():N}");

        using var first = await _teller.UnfreezeRawAsync(accountId, """{"reason":"cleared"}""", key);
        using var second = await _teller.UnfreezeRawAsync(accountId, """{"reason":"cleared"}""", key);

        await Teller.Expect(first, HttpStatusCode.OK);
        await Teller.Expect(second, HttpStatusCode.OK);
        second.Headers.GetValues("Idempotency-Replayed").Should().Equal("true");
        (await _teller.StateAsync(accountId)).Should().Be(("5.00", 4L));
    }

    [Theory]
    [InlineData("""{"reason":""}""")]
    [InlineData("""{"reason":"   "}""")]
    [InlineData("""{"reason":null}""")]
    [InlineData("{}")]
    public async Task FreezeWithoutAReason_IsRejected(string body)
    {
        var accountId = await _teller.OpenAccountAsync();

        using var response = await _teller.FreezeRawAsync(accountId, body);

        await Teller.ExpectValidationError(response, "reason");
        (await _teller.StateAsync(accountId)).Should().Be(("0.00", 1L));
    }

    [Theory]
    [InlineData("""{"reason":""}""")]
    [InlineData("{}")]
    public async Task UnfreezeWithoutAReason_IsRejected(string body)
    {
        var accountId = await FrozenAccountAsync("0.00");

        using var response = await _teller.UnfreezeRawAsync(accountId, body);

        await Teller.ExpectValidationError(response, "reason");
        (await _teller.GetAccountAsync(accountId)).GetProperty("status").GetString().Should().Be("frozen");
    }

    [Fact]
    public async Task ReasonOf141Characters_IsRejected()
    {
        var accountId = await _teller.OpenAccountAsync();

        using var response = await _teller.FreezeRawAsync(accountId, Teller.Json(new { reason = new string('r', 141) }));

        await Teller.ExpectValidationError(response, "reason");
    }

    [Fact]
    public async Task EmptyAlertId_IsRejected()
    {
        var accountId = await _teller.OpenAccountAsync();

        using var response = await _teller.FreezeRawAsync(accountId, Teller.Json(new { reason = "rule", alertId = Guid.Empty }));

        await Teller.ExpectValidationError(response, "alertId");
    }

    [Fact]
    public async Task UnknownAccount_Returns404()
    {
        using var freeze = await _teller.FreezeRawAsync(Guid.NewGuid(), """{"reason":"x"}""");
        using var unfreeze = await _teller.UnfreezeRawAsync(Guid.NewGuid(), """{"reason":"x"}""");

        await Teller.ExpectProblem(freeze, HttpStatusCode.NotFound, ProblemTypes.AccountNotFound);
        await Teller.ExpectProblem(unfreeze, HttpStatusCode.NotFound, ProblemTypes.AccountNotFound);
    }

    [Fact]
    public async Task IfMatchStaleVersion_Returns412AndChangesNothing()
    {
        var accountId = await _teller.OpenFundedAccountAsync("5.00");

        using var response = await _teller.FreezeRawAsync(accountId, """{"reason":"x"}""", ("If-Match", "\"1\""));

        await Teller.ExpectProblem(response, HttpStatusCode.PreconditionFailed, ProblemTypes.VersionMismatch);
        (await _teller.GetAccountAsync(accountId)).GetProperty("status").GetString().Should().Be("open");
    }

    [Fact]
    public async Task TheFraudService_MayFreezeButNotUnfreeze()
    {
        var accountId = await _teller.OpenFundedAccountAsync("5.00");
        var fraud = new Teller(factory.CreateClient());
        fraud.Http.As(Roles.Fraud, "fraud-consumer");

        using (var freeze = await fraud.FreezeRawAsync(accountId, Teller.Json(new { reason = "velocity rule", alertId = Guid.NewGuid() })))
        {
            (await Teller.Expect(freeze, HttpStatusCode.OK)).GetProperty("status").GetString().Should().Be("frozen");
        }

        using var unfreeze = await fraud.UnfreezeRawAsync(accountId, """{"reason":"x"}""");

        await Teller.ExpectProblem(unfreeze, HttpStatusCode.Forbidden, ProblemTypes.Forbidden);
        (await _teller.GetAccountAsync(accountId)).GetProperty("status").GetString().Should().Be("frozen");
    }

    private async Task<Guid> FrozenAccountAsync(string deposit)
    {
        var accountId = deposit == "0.00" ? await _teller.OpenAccountAsync() : await _teller.OpenFundedAccountAsync(deposit);
        await _teller.FreezeAsync(accountId);
        return accountId;
    }
}
