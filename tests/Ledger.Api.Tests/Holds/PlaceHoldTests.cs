using System.Net;
using System.Text.Json;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Testing;

namespace Ledger.Api.Tests.Holds;

/// <summary>A hold takes money out of what is available, not out of the balance; its id is the client's key for it.</summary>
[Collection(ApiFixtureGroup.Name)]
public sealed class PlaceHoldTests(LedgerApiFactory factory)
{
    private readonly Teller _teller = new(factory.CreateClient());

    [Fact]
    public async Task Place_Returns201WithLocationTheHoldAndTheAccountAfterIt()
    {
        var accountId = await _teller.OpenFundedAccountAsync("100.00", overdraftLimit: 20);
        var holdId = Guid.NewGuid();

        using var response = await _teller.PlaceHoldRawAsync(accountId, Teller.Json(new { holdId, amount = "30.00", reference = "card 4242 at Café" }));

        var view = await Teller.Expect(response, HttpStatusCode.Created);
        response.Headers.Location!.OriginalString.Should().Be($"/api/v1/accounts/{accountId}/holds/{holdId}");
        view.GetProperty("holdId").GetGuid().Should().Be(holdId);
        view.GetProperty("accountId").GetGuid().Should().Be(accountId);
        view.GetProperty("amount").GetRawText().Should().Be("30.00");
        view.GetProperty("currency").GetString().Should().Be("EUR");
        view.GetProperty("reference").GetString().Should().Be("card 4242 at Café");
        view.GetProperty("status").GetString().Should().Be("open");
        view.GetProperty("purpose").GetString().Should().Be("hold");
        view.GetProperty("expiresAt").ValueKind.Should().Be(JsonValueKind.Null);
        view.GetProperty("placedAt").ShouldBeUtcTimestamp();
        var account = view.GetProperty("account");
        account.GetProperty("balance").GetRawText().Should().Be("100.00", "a hold does not touch the balance");
        account.GetProperty("held").GetRawText().Should().Be("30.00");
        account.GetProperty("available").GetRawText().Should().Be("90.00", "balance plus overdraft limit minus held");
        account.GetProperty("version").GetInt64().Should().Be(3);
        account.GetRawText().Should().Be((await _teller.GetAccountAsync(accountId)).WithoutSequence());
    }

    [Fact]
    public async Task TheHoldReadsBackAsPlaced_WithoutTheAccount()
    {
        var accountId = await _teller.OpenFundedAccountAsync("100.00");
        var holdId = Guid.NewGuid();
        var placed = await _teller.PlaceHoldAsync(accountId, "12.34", holdId);

        var read = await _teller.GetHoldAsync(accountId, holdId);

        read.TryGetProperty("account", out _).Should().BeFalse("a read shows the hold alone");
        read.GetRawText().Should().Be(WithoutAccount(placed));
    }

    [Fact]
    public async Task WithoutAHoldId_TheServerMakesOne()
    {
        var accountId = await _teller.OpenFundedAccountAsync("100.00");

        using var response = await _teller.PlaceHoldRawAsync(accountId, """{"amount":"1.00"}""");

        var view = await Teller.Expect(response, HttpStatusCode.Created);
        var holdId = view.GetProperty("holdId").GetGuid();
        holdId.Should().NotBe(Guid.Empty);
        response.Headers.Location!.OriginalString.Should().Be($"/api/v1/accounts/{accountId}/holds/{holdId}");
    }

    [Fact]
    public async Task AWithdrawalBeyondWhatIsAvailable_IsRefused_AndOneWithinItPasses()
    {
        var accountId = await _teller.OpenFundedAccountAsync("100.00");
        await _teller.PlaceHoldAsync(accountId, "30.00");

        using (var refused = await _teller.WithdrawRawAsync(accountId, """{"amount":"70.01"}"""))
        {
            var problem = await Teller.ExpectProblem(refused, HttpStatusCode.UnprocessableEntity, ProblemTypes.InsufficientFunds);
            problem.GetProperty("detail").GetString().Should().Contain("held 30.00 EUR");
        }

        var view = await _teller.WithdrawAsync(accountId, "70.00");

        view.GetProperty("balance").GetRawText().Should().Be("30.00");
        view.GetProperty("held").GetRawText().Should().Be("30.00");
        view.GetProperty("available").GetRawText().Should().Be("0.00");
    }

    [Fact]
    public async Task ATransferBeyondWhatIsAvailable_IsRefused()
    {
        var accountId = await _teller.OpenFundedAccountAsync("100.00");
        var other = await _teller.OpenAccountAsync();
        await _teller.PlaceHoldAsync(accountId, "30.00");

        using var response = await _teller.TransferRawAsync(new { fromAccountId = accountId, toAccountId = other, amount = "70.01" });

        await Teller.ExpectProblem(response, HttpStatusCode.UnprocessableEntity, ProblemTypes.InsufficientFunds);
        (await _teller.StateAsync(accountId)).Should().Be(("100.00", 3L));
    }

    [Fact]
    public async Task HoldsReachIntoTheOverdraft_ButNotBeyondIt()
    {
        var accountId = await _teller.OpenFundedAccountAsync("10.00", overdraftLimit: 50);

        var first = await _teller.PlaceHoldAsync(accountId, "60.00");
        using var second = await _teller.PlaceHoldRawAsync(accountId, """{"amount":"0.01"}""");

        first.GetProperty("account").GetProperty("available").GetRawText().Should().Be("0.00");
        await Teller.ExpectProblem(second, HttpStatusCode.UnprocessableEntity, ProblemTypes.InsufficientFunds);
        var account = await _teller.GetAccountAsync(accountId);
        account.GetProperty("balance").GetRawText().Should().Be("10.00");
        account.GetProperty("held").GetRawText().Should().Be("60.00");
    }

    [Fact]
    public async Task TheSameHoldIdWithTheSameContent_AnswersTheHoldAsItIsNow_AndHoldsOnce()
    {
        var accountId = await _teller.OpenFundedAccountAsync("100.00");
        var holdId = Guid.NewGuid();
        var expiresAt = DateTimeOffset.UtcNow.AddDays(7).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var body = Teller.Json(new { holdId, amount = "25.00", reference = "hotel", expiresAt });
        using (var first = await _teller.PlaceHoldRawAsync(accountId, body))
        {
            await Teller.Expect(first, HttpStatusCode.Created);
        }

        using var again = await _teller.PlaceHoldRawAsync(accountId, body);
        var repeated = await Teller.Expect(again, HttpStatusCode.Created);
        again.Headers.Location!.OriginalString.Should().Be($"/api/v1/accounts/{accountId}/holds/{holdId}");
        repeated.GetProperty("status").GetString().Should().Be("open");
        repeated.GetRawText().Should().Be((await _teller.GetHoldAsync(accountId, holdId)).GetRawText());
        await _teller.CaptureAsync(accountId, holdId, new { amount = "5.00" });
        using var afterCapture = await _teller.PlaceHoldRawAsync(accountId, body);

        var captured = await Teller.Expect(afterCapture, HttpStatusCode.Created);
        captured.GetProperty("status").GetString().Should().Be("captured", "a retry answers the hold as it is now");
        captured.GetRawText().Should().Be((await _teller.GetHoldAsync(accountId, holdId)).GetRawText());
        (await _teller.StateAsync(accountId)).Should().Be(("95.00", 4L), "one placement and one capture, however often it was sent");
    }

    [Fact]
    public async Task TheSameHoldIdWithOtherContent_Is409()
    {
        var accountId = await _teller.OpenFundedAccountAsync("100.00");
        var other = await _teller.OpenFundedAccountAsync("100.00");
        var holdId = Guid.NewGuid();
        await _teller.PlaceHoldAsync(accountId, "25.00", holdId, "hotel");

        var conflicts = new Dictionary<string, Func<Task<HttpResponseMessage>>>
        {
            ["another amount"] = () => _teller.PlaceHoldRawAsync(accountId, Teller.Json(new { holdId, amount = "25.01", reference = "hotel" })),
            ["another reference"] = () => _teller.PlaceHoldRawAsync(accountId, Teller.Json(new { holdId, amount = "25.00", reference = "motel" })),
            ["no reference"] = () => _teller.PlaceHoldRawAsync(accountId, Teller.Json(new { holdId, amount = "25.00" })),
            ["an expiry"] = () => _teller.PlaceHoldRawAsync(accountId,
                Teller.Json(new { holdId, amount = "25.00", reference = "hotel", expiresAt = "2099-01-01T00:00:00Z" })),
            ["another account"] = () => _teller.PlaceHoldRawAsync(other, Teller.Json(new { holdId, amount = "25.00", reference = "hotel" })),
        };

        foreach (var (name, conflict) in conflicts)
        {
            using var response = await conflict();
            var body = await response.Content.ReadAsStringAsync();
            response.StatusCode.Should().Be(HttpStatusCode.Conflict, "the same hold id with {0} is a conflict; got {1}", name, body);
            body.Should().Contain(ProblemTypes.HoldAlreadyExists);
        }

        (await _teller.GetAccountAsync(accountId)).GetProperty("held").GetRawText().Should().Be("25.00");
        (await _teller.StateAsync(other)).Should().Be(("100.00", 2L));
    }

    [Fact]
    public async Task AnExpiryInTheFuture_IsKeptInUtc()
    {
        var accountId = await _teller.OpenFundedAccountAsync("100.00");

        using var response = await _teller.PlaceHoldRawAsync(accountId, """{"amount":"1.00","expiresAt":"2099-03-02T15:03:00+01:00"}""");

        var view = await Teller.Expect(response, HttpStatusCode.Created);
        view.GetProperty("expiresAt").ShouldBeUtcTimestamp();
        view.GetProperty("expiresAt").GetDateTimeOffset().Should().Be(new DateTimeOffset(2099, 3, 2, 14, 3, 0, TimeSpan.Zero));
    }

    [Theory]
    [InlineData("2020-01-01T00:00:00Z")]
    [InlineData("2026-01-01T00:00:00+14:00")]
    public async Task AnExpiryInThePast_IsRefused(string expiresAt)
    {
        var accountId = await _teller.OpenFundedAccountAsync("100.00");

        using var response = await _teller.PlaceHoldRawAsync(accountId, Teller.Json(new { amount = "1.00", expiresAt }));

        await Teller.ExpectProblem(response, HttpStatusCode.UnprocessableEntity, ProblemTypes.ExpiryNotInFuture);
        (await _teller.StateAsync(accountId)).Should().Be(("100.00", 2L));
    }

    [Theory]
    [InlineData("tomorrow")]
    [InlineData("2099-03-02")]
    [InlineData("2099-03-02T14:03:00")]
    [InlineData("2099-02-30T14:03:00Z")]
    [InlineData("2099-03-02 14:03:00Z")]
    public async Task AnExpiryThatIsNoInstant_IsRejected(string expiresAt)
    {
        var accountId = await _teller.OpenFundedAccountAsync("100.00");

        using var response = await _teller.PlaceHoldRawAsync(accountId, Teller.Json(new { amount = "1.00", expiresAt }));

        await Teller.ExpectValidationError(response, "expiresAt");
        (await _teller.StateAsync(accountId)).Should().Be(("100.00", 2L));
    }

    [Theory]
    [MemberData(nameof(ApiCases.UnreadableAmounts), MemberType = typeof(ApiCases))]
    [MemberData(nameof(ApiCases.NonPositiveAmounts), MemberType = typeof(ApiCases))]
    [InlineData("\"1.001\"")]
    [InlineData("1000000000000.01")]
    public async Task AnAmountThatIsNotOne_IsRejected(string amount)
    {
        var accountId = await _teller.OpenFundedAccountAsync("100.00");

        using var response = await _teller.PlaceHoldRawAsync(accountId, $$"""{"amount":{{amount}}}""");

        await Teller.ExpectValidationError(response, "amount");
        (await _teller.StateAsync(accountId)).Should().Be(("100.00", 2L));
    }

    [Fact]
    public async Task NoAmount_IsRejected()
    {
        var accountId = await _teller.OpenFundedAccountAsync("100.00");

        using var response = await _teller.PlaceHoldRawAsync(accountId, """{"reference":"x"}""");

        await Teller.ExpectValidationError(response, "amount");
    }

    [Fact]
    public async Task TheEmptyHoldId_IsRejected()
    {
        var accountId = await _teller.OpenFundedAccountAsync("100.00");

        using var response = await _teller.PlaceHoldRawAsync(accountId, Teller.Json(new { holdId = Guid.Empty, amount = "1.00" }));

        await Teller.ExpectValidationError(response, "holdId");
    }

    [Fact]
    public async Task AReferenceOf141Characters_IsRejected()
    {
        var accountId = await _teller.OpenFundedAccountAsync("100.00");

        using var response = await _teller.PlaceHoldRawAsync(accountId, Teller.Json(new { amount = "1.00", reference = new string('r', 141) }));

        await Teller.ExpectValidationError(response, "reference");
    }

    [Fact]
    public async Task AnUnknownAccount_Returns404()
    {
        using var response = await _teller.PlaceHoldRawAsync(Guid.NewGuid(), """{"amount":"1.00"}""");

        await Teller.ExpectProblem(response, HttpStatusCode.NotFound, ProblemTypes.AccountNotFound);
    }

    [Fact]
    public async Task AnUnknownHold_OrAHoldOfAnotherAccount_Returns404()
    {
        var accountId = await _teller.OpenFundedAccountAsync("100.00");
        var other = await _teller.OpenAccountAsync();
        var holdId = Guid.NewGuid();
        await _teller.PlaceHoldAsync(accountId, "1.00", holdId);

        using var unknown = await _teller.GetAsync(Teller.HoldPath(accountId, Guid.NewGuid()));
        using var elsewhere = await _teller.GetAsync(Teller.HoldPath(other, holdId));

        await Teller.ExpectProblem(unknown, HttpStatusCode.NotFound, ProblemTypes.HoldNotFound);
        await Teller.ExpectProblem(elsewhere, HttpStatusCode.NotFound, ProblemTypes.HoldNotFound);
    }

    [Fact]
    public async Task TheList_ShowsTheAccountsHoldsNewestFirst_NarrowedByStatus()
    {
        var accountId = await _teller.OpenFundedAccountAsync("100.00");
        var (open, captured, released) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await _teller.PlaceHoldAsync(accountId, "1.00", captured);
        await _teller.PlaceHoldAsync(accountId, "2.00", released);
        await _teller.PlaceHoldAsync(accountId, "3.00", open);
        await _teller.PlaceHoldAsync(await _teller.OpenFundedAccountAsync("5.00"), "4.00");
        await _teller.CaptureAsync(accountId, captured);
        await _teller.ReleaseAsync(accountId, released);

        (await ListAsync(accountId, "")).Should().Equal(open, released, captured);
        (await ListAsync(accountId, "?status=open")).Should().Equal(open);
        (await ListAsync(accountId, "?status=captured")).Should().Equal(captured);
        (await ListAsync(accountId, "?status=released")).Should().Equal(released);
        (await ListAsync(accountId, "?limit=2")).Should().Equal(open, released);
    }

    [Theory]
    [InlineData("?status=closed", "status")]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=501", "limit")]
    public async Task TheListWithABadQuery_IsRejected(string query, string field)
    {
        var accountId = await _teller.OpenAccountAsync();

        using var response = await _teller.GetAsync(Teller.HoldsPath(accountId) + query);

        await Teller.ExpectValidationError(response, field);
    }

    [Fact]
    public async Task TheListOfAnUnknownAccount_Returns404()
    {
        using var response = await _teller.GetAsync(Teller.HoldsPath(Guid.NewGuid()));

        await Teller.ExpectProblem(response, HttpStatusCode.NotFound, ProblemTypes.AccountNotFound);
    }

    private async Task<List<Guid>> ListAsync(Guid accountId, string query)
    {
        using var response = await _teller.GetAsync(Teller.HoldsPath(accountId) + query);
        var list = await Teller.Expect(response, HttpStatusCode.OK);
        return list.EnumerateArray().Select(hold => hold.GetProperty("holdId").GetGuid()).ToList();
    }

    private static string WithoutAccount(JsonElement view)
    {
        var copy = System.Text.Json.Nodes.JsonNode.Parse(view.GetRawText())!.AsObject();
        copy.Remove("account");
        return copy.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }
}
