using System.Net;
using System.Text.Json;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Testing;

namespace Ledger.Api.Tests.Holds;

/// <summary>
/// The second phase of a hold: captured (in full, in part with the rest released, or to another account) or released,
/// exactly once.
/// </summary>
[Collection(ApiFixtureGroup.Name)]
public sealed class SettleHoldTests(LedgerApiFactory factory)
{
    private readonly Teller _teller = new(factory.CreateClient());

    [Fact]
    public async Task CaptureWithoutABody_TakesTheWholeHoldOutOfTheBalance()
    {
        var (accountId, holdId) = await HeldAsync("100.00", "30.00");

        using var response = await _teller.CaptureRawAsync(accountId, holdId, null);

        var view = await Teller.Expect(response, HttpStatusCode.OK);
        view.GetProperty("status").GetString().Should().Be("captured");
        view.GetProperty("capturedAmount").GetRawText().Should().Be("30.00");
        view.GetProperty("capturedToAccountId").ValueKind.Should().Be(JsonValueKind.Null);
        ShouldBe(view.GetProperty("account"), balance: "70.00", held: "0.00", available: "70.00");
        ShouldBe(await _teller.GetAccountAsync(accountId), balance: "70.00", held: "0.00", available: "70.00");
    }

    [Fact]
    public async Task ACaptureWithABodyThatIsNotJson_IsRefused()
    {
        var (accountId, holdId) = await HeldAsync("100.00", "30.00");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{Teller.HoldPath(accountId, holdId)}/capture")
        {
            Content = new StringContent("""{"amount":"1.00"}""", System.Text.Encoding.UTF8, "text/plain"),
        };

        using var response = await _teller.Http.SendAsync(request);

        await Teller.ExpectProblem(response, HttpStatusCode.UnsupportedMediaType, ProblemTypes.UnsupportedMediaType);
        (await _teller.GetHoldAsync(accountId, holdId)).GetProperty("status").GetString().Should().Be("open");
    }

    [Fact]
    public async Task APartialCapture_TakesThatMuch_AndReleasesTheRest()
    {
        var (accountId, holdId) = await HeldAsync("100.00", "30.00");
        await _teller.PlaceHoldAsync(accountId, "10.00");

        var view = await _teller.CaptureAsync(accountId, holdId, new { amount = "12.50", reference = "final bill" });

        view.GetProperty("amount").GetRawText().Should().Be("30.00", "the hold keeps what it held");
        view.GetProperty("capturedAmount").GetRawText().Should().Be("12.50");
        ShouldBe(view.GetProperty("account"), balance: "87.50", held: "10.00", available: "77.50");
        (await _teller.GetHoldAsync(accountId, holdId)).GetProperty("status").GetString().Should().Be("captured");
    }

    [Fact]
    public async Task ACaptureToAnotherAccount_MovesTheMoneyThere()
    {
        var (accountId, holdId) = await HeldAsync("100.00", "30.00");
        var merchant = await _teller.OpenFundedAccountAsync("5.00");

        var view = await _teller.CaptureAsync(accountId, holdId, new { amount = "25.00", toAccountId = merchant });

        view.GetProperty("capturedToAccountId").GetGuid().Should().Be(merchant);
        ShouldBe(view.GetProperty("account"), balance: "75.00", held: "0.00", available: "75.00");
        ShouldBe(await _teller.GetAccountAsync(merchant), balance: "30.00", held: "0.00", available: "30.00");
        (await _teller.StateAsync(merchant)).Version.Should().Be(3, "the capture is an event of the destination's stream too");
    }

    [Fact]
    public async Task ACaptureToAnAccountOfAnotherCurrency_IsRefused()
    {
        var (accountId, holdId) = await HeldAsync("100.00", "30.00");
        var dollars = await _teller.OpenAccountAsync("USD");

        using var response = await _teller.CaptureRawAsync(accountId, holdId, Teller.Json(new { toAccountId = dollars }));

        await Teller.ExpectProblem(response, HttpStatusCode.UnprocessableEntity, ProblemTypes.CurrencyMismatch);
        (await _teller.GetHoldAsync(accountId, holdId)).GetProperty("status").GetString().Should().Be("open");
    }

    [Fact]
    public async Task ACaptureToTheSameAccount_IsRefused()
    {
        var (accountId, holdId) = await HeldAsync("100.00", "30.00");

        using var response = await _teller.CaptureRawAsync(accountId, holdId, Teller.Json(new { toAccountId = accountId }));

        await Teller.ExpectProblem(response, HttpStatusCode.UnprocessableEntity, ProblemTypes.SameAccount);
    }

    [Fact]
    public async Task ACaptureToAnUnknownAccount_Returns404()
    {
        var (accountId, holdId) = await HeldAsync("100.00", "30.00");

        using var response = await _teller.CaptureRawAsync(accountId, holdId, Teller.Json(new { toAccountId = Guid.NewGuid() }));

        await Teller.ExpectProblem(response, HttpStatusCode.NotFound, ProblemTypes.AccountNotFound);
        (await _teller.GetHoldAsync(accountId, holdId)).GetProperty("status").GetString().Should().Be("open");
    }

    [Theory]
    [InlineData("30.01")]
    [InlineData("1000000000000.00")]
    public async Task ACaptureOfMoreThanTheHold_IsRefused(string amount)
    {
        var (accountId, holdId) = await HeldAsync("100.00", "30.00");

        using var response = await _teller.CaptureRawAsync(accountId, holdId, Teller.Json(new { amount }));

        await Teller.ExpectProblem(response, HttpStatusCode.UnprocessableEntity, ProblemTypes.CaptureOutOfRange);
        (await _teller.GetHoldAsync(accountId, holdId)).GetProperty("status").GetString().Should().Be("open");
    }

    [Theory]
    [InlineData("""{"amount":"0"}""", "amount")]
    [InlineData("""{"amount":"-1.00"}""", "amount")]
    [InlineData("""{"amount":"1.001"}""", "amount")]
    [InlineData("""{"amount":"abc"}""", "amount")]
    [InlineData("""{"toAccountId":"00000000-0000-0000-0000-000000000000"}""", "toAccountId")]
    public async Task ACaptureWithABadField_IsRejected(string body, string field)
    {
        var (accountId, holdId) = await HeldAsync("100.00", "30.00");

        using var response = await _teller.CaptureRawAsync(accountId, holdId, body);

        await Teller.ExpectValidationError(response, field);
        (await _teller.GetHoldAsync(accountId, holdId)).GetProperty("status").GetString().Should().Be("open");
    }

    [Fact]
    public async Task Release_MakesTheAmountAvailableAgain_AndMovesNoMoney()
    {
        var (accountId, holdId) = await HeldAsync("100.00", "30.00");

        using var response = await _teller.ReleaseRawAsync(accountId, holdId);

        var view = await Teller.Expect(response, HttpStatusCode.OK);
        view.GetProperty("status").GetString().Should().Be("released");
        view.GetProperty("releaseReason").GetString().Should().Be("released");
        view.GetProperty("capturedAmount").ValueKind.Should().Be(JsonValueKind.Null);
        view.GetProperty("closedAt").GetDateTimeOffset().Should().BeOnOrAfter(view.GetProperty("placedAt").GetDateTimeOffset());
        ShouldBe(view.GetProperty("account"), balance: "100.00", held: "0.00", available: "100.00");
        (await _teller.StateAsync(accountId)).Should().Be(("100.00", 4L));
    }

    [Fact]
    public async Task AClosedHold_IsNeitherCapturedNorReleasedAgain()
    {
        var (accountId, captured) = await HeldAsync("100.00", "30.00");
        var released = (await _teller.PlaceHoldAsync(accountId, "10.00")).GetProperty("holdId").GetGuid();
        await _teller.CaptureAsync(accountId, captured);
        await _teller.ReleaseAsync(accountId, released);
        var before = await _teller.StateAsync(accountId);

        foreach (var holdId in new[] { captured, released })
        {
            using (var capture = await _teller.CaptureRawAsync(accountId, holdId, null))
            {
                await Teller.ExpectProblem(capture, HttpStatusCode.Conflict, ProblemTypes.HoldNotOpen);
            }

            using var release = await _teller.ReleaseRawAsync(accountId, holdId);
            await Teller.ExpectProblem(release, HttpStatusCode.Conflict, ProblemTypes.HoldNotOpen);
        }

        (await _teller.StateAsync(accountId)).Should().Be(before);
        (await _teller.StateAsync(accountId)).Balance.Should().Be("70.00");
    }

    [Fact]
    public async Task CaptureWithTheSameIdempotencyKey_ReplaysTheFirstAnswer()
    {
        var (accountId, holdId) = await HeldAsync("100.00", "30.00");
        var key = ("Idempotency-Key", $"capture-{Guid.NewGuid():N}");

        using var first = await _teller.CaptureRawAsync(accountId, holdId, """{"amount":"10.00"}""", key);
        using var second = await _teller.CaptureRawAsync(accountId, holdId, """{"amount":"10.00"}""", key);
        using var otherBody = await _teller.CaptureRawAsync(accountId, holdId, """{"amount":"11.00"}""", key);

        var firstBody = await Teller.Expect(first, HttpStatusCode.OK);
        (await Teller.Expect(second, HttpStatusCode.OK)).GetRawText().Should().Be(firstBody.GetRawText());
        second.Headers.GetValues("Idempotency-Replayed").Should().Equal("true");
        await Teller.ExpectProblem(otherBody, HttpStatusCode.UnprocessableEntity, ProblemTypes.IdempotencyKeyReused);
        (await _teller.StateAsync(accountId)).Should().Be(("90.00", 4L));
    }

    [Fact]
    public async Task ReleaseWithTheSameIdempotencyKey_ReplaysTheFirstAnswer()
    {
        var (accountId, holdId) = await HeldAsync("100.00", "30.00");
        var key = ("Idempotency-Key", $"release-{Guid.NewGuid():N}");

        using var first = await _teller.ReleaseRawAsync(accountId, holdId, key);
        using var second = await _teller.ReleaseRawAsync(accountId, holdId, key);
        using var unkeyed = await _teller.ReleaseRawAsync(accountId, holdId);

        var firstBody = await Teller.Expect(first, HttpStatusCode.OK);
        (await Teller.Expect(second, HttpStatusCode.OK)).GetRawText().Should().Be(firstBody.GetRawText());
        second.Headers.GetValues("Idempotency-Replayed").Should().Equal("true");
        await Teller.ExpectProblem(unkeyed, HttpStatusCode.Conflict, ProblemTypes.HoldNotOpen);
        (await _teller.StateAsync(accountId)).Should().Be(("100.00", 4L));
    }

    [Fact]
    public async Task AnUnknownHold_OrAHoldOfAnotherAccount_Returns404()
    {
        var (accountId, holdId) = await HeldAsync("100.00", "30.00");
        var other = await _teller.OpenAccountAsync();

        using var unknownCapture = await _teller.CaptureRawAsync(accountId, Guid.NewGuid(), null);
        using var unknownRelease = await _teller.ReleaseRawAsync(accountId, Guid.NewGuid());
        using var elsewhereCapture = await _teller.CaptureRawAsync(other, holdId, null);
        using var elsewhereRelease = await _teller.ReleaseRawAsync(other, holdId);

        foreach (var response in new[] { unknownCapture, unknownRelease, elsewhereCapture, elsewhereRelease })
        {
            await Teller.ExpectProblem(response, HttpStatusCode.NotFound, ProblemTypes.HoldNotFound);
        }

        (await _teller.GetHoldAsync(accountId, holdId)).GetProperty("status").GetString().Should().Be("open");
    }

    [Fact]
    public async Task AnUnknownAccount_Returns404()
    {
        using var capture = await _teller.CaptureRawAsync(Guid.NewGuid(), Guid.NewGuid(), null);
        using var release = await _teller.ReleaseRawAsync(Guid.NewGuid(), Guid.NewGuid());

        await Teller.ExpectProblem(capture, HttpStatusCode.NotFound, ProblemTypes.AccountNotFound);
        await Teller.ExpectProblem(release, HttpStatusCode.NotFound, ProblemTypes.AccountNotFound);
    }

    private async Task<(Guid AccountId, Guid HoldId)> HeldAsync(string deposit, string hold)
    {
        var accountId = await _teller.OpenFundedAccountAsync(deposit);
        var holdId = Guid.NewGuid();
        await _teller.PlaceHoldAsync(accountId, hold, holdId);
        return (accountId, holdId);
    }

    private static void ShouldBe(JsonElement account, string balance, string held, string available)
    {
        account.GetProperty("balance").GetRawText().Should().Be(balance);
        account.GetProperty("held").GetRawText().Should().Be(held);
        account.GetProperty("available").GetRawText().Should().Be(available);
    }
}
