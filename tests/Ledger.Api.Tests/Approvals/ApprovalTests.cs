using System.Net;
using System.Text.Json;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Contracts;
using Ledger.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Options;

namespace Ledger.Api.Tests.Approvals;

/// <summary>
/// Four eyes: a withdrawal or transfer above its currency's threshold (here 1000.00 EUR, 150000 JPY; none for USD) waits
/// as a hold until a supervisor other than the requester approves it (it is executed) or rejects it (nothing moves).
/// </summary>
public sealed class ApprovalTests(ApprovalsFixture fixture) : IClassFixture<ApprovalsFixture>
{
    private readonly Teller _teller = fixture.As(Roles.Teller, "teller-ada");
    private readonly Teller _supervisor = fixture.As(Roles.Supervisor, "supervisor-grace");

    [Fact]
    public async Task AWithdrawalAboveTheThreshold_Is202WithTheApprovalItAwaits()
    {
        var accountId = await _teller.OpenFundedAccountAsync("5000.00");

        using var response = await _teller.WithdrawRawAsync(accountId, """{"amount":"1000.01","reference":"car"}""");

        var approval = await Teller.Expect(response, HttpStatusCode.Accepted);
        var approvalId = approval.GetProperty("approvalId").GetGuid();
        response.Headers.Location!.OriginalString.Should().Be($"/api/v1/approvals/{approvalId}");
        response.Headers.ETag.Should().BeNull("nothing was debited yet");
        approval.GetProperty("kind").GetString().Should().Be("withdrawal");
        approval.GetProperty("accountId").GetGuid().Should().Be(accountId);
        approval.GetProperty("toAccountId").ValueKind.Should().Be(JsonValueKind.Null);
        approval.GetProperty("amount").GetRawText().Should().Be("1000.01");
        approval.GetProperty("currency").GetString().Should().Be("EUR");
        approval.GetProperty("reference").GetString().Should().Be("car");
        approval.GetProperty("status").GetString().Should().Be("pending");
        approval.GetProperty("requestedBy").GetString().Should().Be("teller-ada");
        approval.GetProperty("requestedAt").ShouldBeUtcTimestamp();
        approval.GetProperty("decidedBy").ValueKind.Should().Be(JsonValueKind.Null);
        approval.GetProperty("decidedAt").ValueKind.Should().Be(JsonValueKind.Null);
        var account = approval.GetProperty("account");
        ShouldBe(account, balance: "5000.00", held: "1000.01", available: "3999.99");
        account.GetRawText().Should().Be((await _teller.GetAccountAsync(accountId)).WithoutSequence());
    }

    [Fact]
    public async Task TheApproval_ReadsBackPending()
    {
        var accountId = await _teller.OpenFundedAccountAsync("5000.00");
        var pending = await RequestWithdrawalAsync(accountId, "2000.00");

        var read = await GetApprovalAsync(_teller, pending);

        read.TryGetProperty("account", out _).Should().BeFalse();
        read.GetProperty("status").GetString().Should().Be("pending");
        read.GetProperty("amount").GetRawText().Should().Be("2000.00");
    }

    [Theory]
    [InlineData("EUR", "1000.00")]
    [InlineData("JPY", "150000")]
    [InlineData("USD", "1000000000")]
    public async Task AnAmountAtTheThreshold_OrInACurrencyWithoutOne_IsExecutedAtOnce(string currency, string amount)
    {
        var accountId = await _teller.OpenAccountAsync(currency, overdraftLimit: 1_000_000_000m);

        using var response = await _teller.WithdrawRawAsync(accountId, Teller.Json(new { amount }));

        var view = await Teller.Expect(response, HttpStatusCode.OK);
        view.GetProperty("balance").GetDecimal().Should().Be(-decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture));
        view.GetProperty("held").GetDecimal().Should().Be(0m);
    }

    [Fact]
    public async Task AYenAmountAboveTheThreshold_Waits()
    {
        var accountId = await _teller.OpenFundedAccountAsync("200000", "JPY");

        using var response = await _teller.WithdrawRawAsync(accountId, """{"amount":150001}""");

        (await Teller.Expect(response, HttpStatusCode.Accepted)).GetProperty("amount").GetRawText().Should().Be("150001");
        (await _teller.BalanceAsync(accountId)).Should().Be(200000m);
    }

    [Fact]
    public async Task ApprovalByAnotherSupervisor_ExecutesTheWithdrawal()
    {
        var accountId = await _teller.OpenFundedAccountAsync("5000.00");
        var approvalId = await RequestWithdrawalAsync(accountId, "1500.00");

        using var response = await _supervisor.PostAsync($"{Teller.ApprovalsPath}/{approvalId}/approve");

        var approved = await Teller.Expect(response, HttpStatusCode.OK);
        approved.GetProperty("status").GetString().Should().Be("approved");
        approved.GetProperty("decidedBy").GetString().Should().Be("supervisor-grace");
        approved.GetProperty("decidedAt").ShouldBeUtcTimestamp();
        approved.GetProperty("requestedBy").GetString().Should().Be("teller-ada");
        ShouldBe(approved.GetProperty("account"), balance: "3500.00", held: "0.00", available: "3500.00");
        ShouldBe(await _teller.GetAccountAsync(accountId), balance: "3500.00", held: "0.00", available: "3500.00");
        (await GetApprovalAsync(_teller, approvalId)).GetProperty("status").GetString().Should().Be("approved");
        // Who requested and who approved are facts of the events themselves, not only of the views.
        (await Sql.ScalarAsync<string>(fixture.Api.ConnectionString,
                "select data ->> 'requestedBy' from ledger.mt_events where stream_id = $1 and type = 'hold_placed'", accountId))
            .Should().Be("teller-ada");
        (await Sql.ScalarAsync<string>(fixture.Api.ConnectionString,
                "select data ->> 'approvedBy' from ledger.mt_events where stream_id = $1 and type = 'hold_captured'", accountId))
            .Should().Be("supervisor-grace");
    }

    [Fact]
    public async Task ATransferAboveTheThreshold_WaitsUnderItsTransferId_AndIsFoundThereOnceApproved()
    {
        var from = await _teller.OpenFundedAccountAsync("5000.00");
        var to = await _teller.OpenFundedAccountAsync("10.00");
        var transferId = Guid.NewGuid();

        using var requested = await _teller.TransferRawAsync(new { transferId, fromAccountId = from, toAccountId = to, amount = "4000.00", reference = "house" });
        var pending = await Teller.Expect(requested, HttpStatusCode.Accepted);
        using var beforeApproval = await _teller.GetAsync($"{Teller.TransfersPath}/{transferId}");
        using var approve = await _supervisor.PostAsync($"{Teller.ApprovalsPath}/{transferId}/approve");
        var approved = await Teller.Expect(approve, HttpStatusCode.OK);
        using var afterApproval = await _teller.GetAsync($"{Teller.TransfersPath}/{transferId}");

        requested.Headers.Location!.OriginalString.Should().Be($"/api/v1/approvals/{transferId}");
        pending.GetProperty("approvalId").GetGuid().Should().Be(transferId);
        pending.GetProperty("kind").GetString().Should().Be("transfer");
        pending.GetProperty("toAccountId").GetGuid().Should().Be(to);
        await Teller.ExpectProblem(beforeApproval, HttpStatusCode.NotFound, ProblemTypes.TransferNotFound);
        approved.GetProperty("status").GetString().Should().Be("approved");
        var transfer = await Teller.Expect(afterApproval, HttpStatusCode.OK);
        transfer.GetProperty("amount").GetRawText().Should().Be("4000.00");
        transfer.GetProperty("fromBalance").GetRawText().Should().Be("1000.00");
        transfer.GetProperty("toBalance").GetRawText().Should().Be("4010.00");
        ShouldBe(await _teller.GetAccountAsync(from), balance: "1000.00", held: "0.00", available: "1000.00");
        ShouldBe(await _teller.GetAccountAsync(to), balance: "4010.00", held: "0.00", available: "4010.00");
    }

    [Fact]
    public async Task ATransferRetriedWhileItWaits_AnswersTheSameApproval_AndOtherContentIsAConflict()
    {
        var from = await _teller.OpenFundedAccountAsync("5000.00");
        var to = await _teller.OpenAccountAsync();
        var transferId = Guid.NewGuid();
        var transfer = new { transferId, fromAccountId = from, toAccountId = to, amount = "4000.00" };
        using var first = await _teller.TransferRawAsync(transfer);
        var pending = await Teller.Expect(first, HttpStatusCode.Accepted);

        using var again = await _teller.TransferRawAsync(transfer);
        using var other = await _teller.TransferRawAsync(transfer with { amount = "4000.01" });

        var repeated = await Teller.Expect(again, HttpStatusCode.Accepted);
        again.Headers.Location!.OriginalString.Should().Be($"/api/v1/approvals/{transferId}");
        repeated.GetProperty("approvalId").GetGuid().Should().Be(transferId);
        repeated.GetProperty("requestedAt").GetRawText().Should().Be(pending.GetProperty("requestedAt").GetRawText());
        await Teller.ExpectProblem(other, HttpStatusCode.Conflict, ProblemTypes.TransferAlreadyExists);
        ShouldBe(await _teller.GetAccountAsync(from), balance: "5000.00", held: "4000.00", available: "1000.00");
    }

    [Fact]
    public async Task AWithdrawalRetriedWithItsIdempotencyKey_ReplaysThe202()
    {
        var accountId = await _teller.OpenFundedAccountAsync("5000.00");
        var key = ("Idempotency-Key", $"approval-{Guid.NewGuid():N}");

        using var first = await _teller.WithdrawRawAsync(accountId, """{"amount":"3000.00"}""", key);
        using var second = await _teller.WithdrawRawAsync(accountId, """{"amount":"3000.00"}""", key);

        var firstBody = await Teller.Expect(first, HttpStatusCode.Accepted);
        (await Teller.Expect(second, HttpStatusCode.Accepted)).GetRawText().Should().Be(firstBody.GetRawText());
        second.Headers.GetValues("Idempotency-Replayed").Should().Equal("true");
        second.Headers.Location.Should().Be(first.Headers.Location);
        (await _teller.GetAccountAsync(accountId)).GetProperty("held").GetRawText().Should().Be("3000.00", "held once");
    }

    [Fact]
    public async Task TheRequester_MayNeitherApproveNorReject_EvenAsASupervisor()
    {
        var requester = fixture.As(Roles.Supervisor, "supervisor-ada");
        var accountId = await requester.OpenFundedAccountAsync("5000.00");
        using var requested = await requester.WithdrawRawAsync(accountId, """{"amount":"2000.00"}""");
        var approvalId = (await Teller.Expect(requested, HttpStatusCode.Accepted)).GetProperty("approvalId").GetGuid();

        using var approve = await requester.PostAsync($"{Teller.ApprovalsPath}/{approvalId}/approve");
        using var reject = await requester.PostAsync($"{Teller.ApprovalsPath}/{approvalId}/reject");

        (await Teller.ExpectProblem(approve, HttpStatusCode.Forbidden, ProblemTypes.SelfApproval)).ShouldBeCompleteProblem(403);
        await Teller.ExpectProblem(reject, HttpStatusCode.Forbidden, ProblemTypes.SelfApproval);
        (await GetApprovalAsync(requester, approvalId)).GetProperty("status").GetString().Should().Be("pending");
        using var other = await _supervisor.PostAsync($"{Teller.ApprovalsPath}/{approvalId}/approve");
        await Teller.Expect(other, HttpStatusCode.OK);
        (await _teller.BalanceAsync(accountId)).Should().Be(3000.00m);
    }

    [Fact]
    public async Task ASupervisorWithTheRequestersSubject_IsTheRequester()
    {
        var accountId = await _teller.OpenFundedAccountAsync("5000.00");
        var approvalId = await RequestWithdrawalAsync(accountId, "2000.00");
        var sameSubject = fixture.As(Roles.Supervisor, "teller-ada");

        using var response = await sameSubject.PostAsync($"{Teller.ApprovalsPath}/{approvalId}/approve");

        await Teller.ExpectProblem(response, HttpStatusCode.Forbidden, ProblemTypes.SelfApproval);
    }

    [Theory]
    [InlineData(Roles.Teller)]
    [InlineData(Roles.Admin)]
    public async Task OnlyASupervisor_MayDecide(string role)
    {
        var accountId = await _teller.OpenFundedAccountAsync("5000.00");
        var approvalId = await RequestWithdrawalAsync(accountId, "2000.00");
        var other = fixture.As(role, $"{role}-bob");

        using var approve = await other.PostAsync($"{Teller.ApprovalsPath}/{approvalId}/approve");
        using var reject = await other.PostAsync($"{Teller.ApprovalsPath}/{approvalId}/reject");

        await Teller.ExpectProblem(approve, HttpStatusCode.Forbidden, ProblemTypes.Forbidden);
        await Teller.ExpectProblem(reject, HttpStatusCode.Forbidden, ProblemTypes.Forbidden);
        (await GetApprovalAsync(_teller, approvalId)).GetProperty("status").GetString().Should().Be("pending");
    }

    [Fact]
    public async Task Rejection_ReleasesTheHold_AndMovesNoMoney()
    {
        var from = await _teller.OpenFundedAccountAsync("5000.00");
        var to = await _teller.OpenAccountAsync();
        var transferId = Guid.NewGuid();
        using (var requested = await _teller.TransferRawAsync(new { transferId, fromAccountId = from, toAccountId = to, amount = "4000.00" }))
        {
            await Teller.Expect(requested, HttpStatusCode.Accepted);
        }

        using var response = await _supervisor.PostAsync($"{Teller.ApprovalsPath}/{transferId}/reject");

        var rejected = await Teller.Expect(response, HttpStatusCode.OK);
        rejected.GetProperty("status").GetString().Should().Be("rejected");
        rejected.GetProperty("decidedBy").GetString().Should().Be("supervisor-grace");
        ShouldBe(rejected.GetProperty("account"), balance: "5000.00", held: "0.00", available: "5000.00");
        ShouldBe(await _teller.GetAccountAsync(to), balance: "0.00", held: "0.00", available: "0.00");
        using var transfer = await _teller.GetAsync($"{Teller.TransfersPath}/{transferId}");
        await Teller.ExpectProblem(transfer, HttpStatusCode.NotFound, ProblemTypes.TransferNotFound);
        (await _teller.GetHoldAsync(from, transferId)).GetProperty("releaseReason").GetString().Should().Be("rejected");
    }

    [Fact]
    public async Task ADecidedApproval_IsNotDecidedAgain()
    {
        var accountId = await _teller.OpenFundedAccountAsync("9000.00");
        var approved = await RequestWithdrawalAsync(accountId, "2000.00");
        var rejected = await RequestWithdrawalAsync(accountId, "3000.00");
        await DecideAsync(approved, "approve");
        await DecideAsync(rejected, "reject");
        var other = fixture.As(Roles.Supervisor, "supervisor-alan");

        foreach (var approvalId in new[] { approved, rejected })
        {
            foreach (var decision in new[] { "approve", "reject" })
            {
                using var response = await other.PostAsync($"{Teller.ApprovalsPath}/{approvalId}/{decision}");
                await Teller.ExpectProblem(response, HttpStatusCode.Conflict, ProblemTypes.HoldNotOpen);
            }
        }

        (await _teller.StateAsync(accountId)).Should().Be(("7000.00", 6L));
    }

    [Fact]
    public async Task ApprovalWithTheSameIdempotencyKey_ReplaysTheFirstAnswer()
    {
        var accountId = await _teller.OpenFundedAccountAsync("5000.00");
        var approvalId = await RequestWithdrawalAsync(accountId, "2000.00");
        var key = ("Idempotency-Key", $"approve-{Guid.NewGuid():N}");

        using var first = await _supervisor.PostAsync($"{Teller.ApprovalsPath}/{approvalId}/approve", key);
        using var second = await _supervisor.PostAsync($"{Teller.ApprovalsPath}/{approvalId}/approve", key);

        var firstBody = await Teller.Expect(first, HttpStatusCode.OK);
        (await Teller.Expect(second, HttpStatusCode.OK)).GetRawText().Should().Be(firstBody.GetRawText());
        second.Headers.GetValues("Idempotency-Replayed").Should().Equal("true");
        (await _teller.BalanceAsync(accountId)).Should().Be(3000.00m);
    }

    [Fact]
    public async Task AMovementAwaitingApproval_IsNotCapturedOrReleasedAsAHold()
    {
        var accountId = await _teller.OpenFundedAccountAsync("5000.00");
        var approvalId = await RequestWithdrawalAsync(accountId, "2000.00");

        using var capture = await _teller.CaptureRawAsync(accountId, approvalId, null);
        using var release = await _teller.ReleaseRawAsync(accountId, approvalId);

        await Teller.ExpectProblem(capture, HttpStatusCode.Conflict, ProblemTypes.WrongHoldKind);
        await Teller.ExpectProblem(release, HttpStatusCode.Conflict, ProblemTypes.WrongHoldKind);
        (await GetApprovalAsync(_teller, approvalId)).GetProperty("status").GetString().Should().Be("pending");
        (await _teller.StateAsync(accountId)).Should().Be(("5000.00", 3L));
    }

    [Fact]
    public async Task APlainHold_IsNoApproval()
    {
        var accountId = await _teller.OpenFundedAccountAsync("5000.00");
        var holdId = (await _teller.PlaceHoldAsync(accountId, "2000.00")).GetProperty("holdId").GetGuid();

        using var read = await _teller.GetAsync($"{Teller.ApprovalsPath}/{holdId}");
        using var approve = await _supervisor.PostAsync($"{Teller.ApprovalsPath}/{holdId}/approve");
        using var reject = await _supervisor.PostAsync($"{Teller.ApprovalsPath}/{holdId}/reject");

        await Teller.ExpectProblem(read, HttpStatusCode.NotFound, ProblemTypes.ApprovalNotFound);
        await Teller.ExpectProblem(approve, HttpStatusCode.NotFound, ProblemTypes.ApprovalNotFound);
        await Teller.ExpectProblem(reject, HttpStatusCode.NotFound, ProblemTypes.ApprovalNotFound);
        (await _teller.GetHoldAsync(accountId, holdId)).GetProperty("status").GetString().Should().Be("open");
    }

    [Fact]
    public async Task AnUnknownApproval_Returns404()
    {
        var approvalId = Guid.NewGuid();

        using var read = await _teller.GetAsync($"{Teller.ApprovalsPath}/{approvalId}");
        using var approve = await _supervisor.PostAsync($"{Teller.ApprovalsPath}/{approvalId}/approve");
        using var reject = await _supervisor.PostAsync($"{Teller.ApprovalsPath}/{approvalId}/reject");

        await Teller.ExpectProblem(read, HttpStatusCode.NotFound, ProblemTypes.ApprovalNotFound);
        await Teller.ExpectProblem(approve, HttpStatusCode.NotFound, ProblemTypes.ApprovalNotFound);
        await Teller.ExpectProblem(reject, HttpStatusCode.NotFound, ProblemTypes.ApprovalNotFound);
    }

    [Fact]
    public async Task AboveTheThresholdButBeyondWhatIsAvailable_IsRefusedAtOnce()
    {
        var accountId = await _teller.OpenFundedAccountAsync("1500.00");

        using var response = await _teller.WithdrawRawAsync(accountId, """{"amount":"1500.01"}""");

        await Teller.ExpectProblem(response, HttpStatusCode.UnprocessableEntity, ProblemTypes.InsufficientFunds);
        (await _teller.GetAccountAsync(accountId)).GetProperty("held").GetRawText().Should().Be("0.00");
    }

    [Fact]
    public async Task AnAccountFrozenWhileTheMovementWaits_RefusesTheApproval_ButNotTheRejection()
    {
        var accountId = await _teller.OpenFundedAccountAsync("5000.00");
        var approvalId = await RequestWithdrawalAsync(accountId, "2000.00");
        await _teller.FreezeAsync(accountId);

        using var approve = await _supervisor.PostAsync($"{Teller.ApprovalsPath}/{approvalId}/approve");
        await Teller.ExpectProblem(approve, HttpStatusCode.UnprocessableEntity, ProblemTypes.AccountFrozen);
        using var reject = await _supervisor.PostAsync($"{Teller.ApprovalsPath}/{approvalId}/reject");

        (await Teller.Expect(reject, HttpStatusCode.OK)).GetProperty("status").GetString().Should().Be("rejected");
        ShouldBe(await _teller.GetAccountAsync(accountId), balance: "5000.00", held: "0.00", available: "5000.00");
    }

    [Fact]
    public async Task AFrozenAccount_RefusesAMovementAboveTheThreshold()
    {
        var accountId = await _teller.OpenFundedAccountAsync("5000.00");
        await _teller.FreezeAsync(accountId);

        using var response = await _teller.WithdrawRawAsync(accountId, """{"amount":"2000.00"}""");

        await Teller.ExpectProblem(response, HttpStatusCode.UnprocessableEntity, ProblemTypes.AccountFrozen);
    }

    [Fact]
    public async Task TheList_ShowsPendingMovementsOldestFirst_AndDecidedOnesByStatus()
    {
        var accountId = await _teller.OpenFundedAccountAsync("9000.00");
        var first = await RequestWithdrawalAsync(accountId, "1001.00");
        var second = await RequestWithdrawalAsync(accountId, "1002.00");
        var approved = await RequestWithdrawalAsync(accountId, "1003.00");
        var rejected = await RequestWithdrawalAsync(accountId, "1004.00");
        await DecideAsync(approved, "approve");
        await DecideAsync(rejected, "reject");

        var pending = await ListAsync("");
        (await ListAsync("?status=pending&limit=500")).Should().Equal(pending);
        pending.Should().ContainInOrder(first, second).And.NotContain(approved).And.NotContain(rejected);
        (await ListAsync("?status=approved&limit=500")).Should().Contain(approved).And.NotContain([first, second, rejected]);
        (await ListAsync("?status=rejected&limit=500")).Should().Contain(rejected).And.NotContain([first, second, approved]);
        (await ListAsync("?limit=1")).Should().HaveCount(1);
    }

    [Theory]
    [InlineData("?status=open", "status")]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=501", "limit")]
    public async Task TheListWithABadQuery_IsRejected(string query, string field)
    {
        using var response = await _supervisor.GetAsync(Teller.ApprovalsPath + query);

        await Teller.ExpectValidationError(response, field);
    }

    private async Task<List<Guid>> ListAsync(string query)
    {
        using var response = await _supervisor.GetAsync(Teller.ApprovalsPath + query);
        var list = await Teller.Expect(response, HttpStatusCode.OK);
        return list.EnumerateArray().Select(approval => approval.GetProperty("approvalId").GetGuid()).ToList();
    }

    private async Task DecideAsync(Guid approvalId, string decision)
    {
        using var response = await _supervisor.PostAsync($"{Teller.ApprovalsPath}/{approvalId}/{decision}");
        await Teller.Expect(response, HttpStatusCode.OK);
    }

    private async Task<Guid> RequestWithdrawalAsync(Guid accountId, string amount)
    {
        using var response = await _teller.WithdrawRawAsync(accountId, Teller.Json(new { amount }));
        return (await Teller.Expect(response, HttpStatusCode.Accepted)).GetProperty("approvalId").GetGuid();
    }

    private static async Task<JsonElement> GetApprovalAsync(Teller reader, Guid approvalId)
    {
        using var response = await reader.GetAsync($"{Teller.ApprovalsPath}/{approvalId}");
        return await Teller.Expect(response, HttpStatusCode.OK);
    }

    private static void ShouldBe(JsonElement account, string balance, string held, string available)
    {
        account.GetProperty("balance").GetRawText().Should().Be(balance);
        account.GetProperty("held").GetRawText().Should().Be(held);
        account.GetProperty("available").GetRawText().Should().Be(available);
    }
}

/// <summary>Thresholds are settings an invalid value of which stops the start, naming the setting.</summary>
[Collection(ApiFixtureGroup.Name)]
public sealed class ApprovalSettingsTests(LedgerApiFactory factory)
{
    [Theory]
    [InlineData("EUR", "-0.01", "Approvals:Thresholds:EUR must be zero or more, with at most 2 decimals; it is -0.01.")]
    [InlineData("EUR", "100.001", "Approvals:Thresholds:EUR must be zero or more, with at most 2 decimals; it is 100.001.")]
    [InlineData("JPY", "0.5", "Approvals:Thresholds:JPY must be zero or more, with at most 0 decimals; it is 0.5.")]
    [InlineData("XYZ", "1000", "Approvals:Thresholds:XYZ is not a known ISO 4217 currency code (upper case).")]
    [InlineData("eur", "1000", "Approvals:Thresholds:eur is not a known ISO 4217 currency code (upper case).")]
    public void AnInvalidThreshold_StopsTheStart_NamingTheSetting(string currency, string value, string failure)
    {
        using var host = factory.WithWebHostBuilder(builder => builder.UseSetting($"Approvals:Thresholds:{currency}", value));

        var act = () => host.CreateClient();

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().Equal(failure);
    }

    [Theory]
    [InlineData("Approvals:Thresholds:EUR", "lots", "Approvals:Thresholds:EUR must be an amount in major units; it is 'lots'.")]
    [InlineData("Approvals:Thresholds:EUR", "", "Approvals:Thresholds:EUR must be an amount in major units; it is ''.")]
    [InlineData("Approvals:Thresholds:EUR:Max", "1000", "Approvals:Thresholds:EUR must be an amount in major units; it is ''.")]
    [InlineData("Approvals:Threshold:EUR", "1000", "Approvals:Threshold is not a setting; thresholds are Approvals:Thresholds:<currency code>.")]
    public void AThresholdTheBinderWouldDrop_StopsTheStart_NamingTheSetting(string setting, string value, string failure)
    {
        // Read as written, each would leave EUR without a threshold: its large movements would never wait.
        using var host = factory.WithWebHostBuilder(builder => builder.UseSetting(setting, value));

        var act = () => host.CreateClient();

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().Equal(failure);
    }
}

/// <summary>An API and a database of their own, with approval thresholds for EUR and JPY.</summary>
public sealed class ApprovalsFixture : IDisposable
{
    public ApprovalsFixture() =>
        Host = Api.WithWebHostBuilder(builder => builder
            .UseSetting("Approvals:Thresholds:EUR", "1000.00")
            .UseSetting("Approvals:Thresholds:JPY", "150000"));

    public LedgerApiFactory Api { get; } = new();

    public WebApplicationFactory<Program> Host { get; }

    /// <summary>A client of <see cref="Host"/> acting as <paramref name="role"/> with the token subject <paramref name="subject"/>.</summary>
    public Teller As(string role, string subject)
    {
        var teller = new Teller(Host.CreateClient());
        teller.Http.As(role, subject);
        return teller;
    }

    public void Dispose()
    {
        Host.Dispose();
        Api.Dispose();
    }
}
