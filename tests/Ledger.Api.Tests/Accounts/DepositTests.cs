using System.Net;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Testing;

namespace Ledger.Api.Tests.Accounts;

[Collection(ApiFixtureGroup.Name)]
public sealed class DepositTests(LedgerApiFactory factory)
{
    private readonly Teller _teller = new(factory.CreateClient());

    [Fact]
    public async Task AmountAsNumber_CreditsAccountAndReturnsView()
    {
        var accountId = await _teller.OpenAccountAsync();

        using var response = await _teller.DepositRawAsync(accountId, """{"amount":12.34}""");

        var view = await Teller.Expect(response, HttpStatusCode.OK);
        response.Headers.ETag?.Tag.Should().Be("\"2\"");
        view.GetProperty("accountId").GetGuid().Should().Be(accountId);
        view.GetProperty("balance").GetRawText().Should().Be("12.34");
        view.GetProperty("version").GetInt64().Should().Be(2);
        view.GetProperty("status").GetString().Should().Be("open");
        view.GetProperty("updatedAt").ShouldBeUtcTimestamp();
        view.GetRawText().Should().Be((await _teller.GetAccountAsync(accountId)).WithoutSequence());
    }

    [Fact]
    public async Task AmountAsString_CreditsAccount()
    {
        var accountId = await _teller.OpenAccountAsync();

        using var response = await _teller.DepositRawAsync(accountId, """{"amount":"12.34","reference":"salary"}""");

        (await Teller.Expect(response, HttpStatusCode.OK)).GetProperty("balance").GetRawText().Should().Be("12.34");
    }

    [Fact]
    public async Task SuccessiveDeposits_AddUp()
    {
        var accountId = await _teller.OpenAccountAsync();

        await _teller.DepositAsync(accountId, 0.01m);
        await _teller.DepositAsync(accountId, "10");
        var view = await _teller.DepositAsync(accountId, "0.99");

        view.GetProperty("balance").GetRawText().Should().Be("11.00");
        view.GetProperty("version").GetInt64().Should().Be(4);
    }

    [Theory]
    [InlineData("\"12.340\"")]
    [InlineData("\"12.3400000\"")]
    [InlineData("12.340")]
    public async Task TrailingZerosThatKeepValueExact_AreAccepted(string amount)
    {
        var accountId = await _teller.OpenAccountAsync();

        using var response = await _teller.DepositRawAsync(accountId, $$"""{"amount":{{amount}}}""");

        (await Teller.Expect(response, HttpStatusCode.OK)).GetProperty("balance").GetRawText().Should().Be("12.34");
    }

    [Theory]
    [MemberData(nameof(ApiCases.UnreadableAmounts), MemberType = typeof(ApiCases))]
    public async Task UnreadableAmount_IsRejected(string amount)
    {
        var accountId = await _teller.OpenAccountAsync();

        using var response = await _teller.DepositRawAsync(accountId, $$"""{"amount":{{amount}}}""");

        await Teller.ExpectValidationError(response, "amount");
        (await _teller.StateAsync(accountId)).Should().Be(("0.00", 1L));
    }

    [Fact]
    public async Task MissingAmount_IsRejected()
    {
        var accountId = await _teller.OpenAccountAsync();

        using var response = await _teller.DepositRawAsync(accountId, """{"reference":"no amount"}""");

        await Teller.ExpectValidationError(response, "amount");
    }

    [Theory]
    [MemberData(nameof(ApiCases.NonPositiveAmounts), MemberType = typeof(ApiCases))]
    public async Task NonPositiveAmount_IsRejected(string amount)
    {
        var accountId = await _teller.OpenFundedAccountAsync("5.00");

        using var response = await _teller.DepositRawAsync(accountId, $$"""{"amount":{{amount}}}""");

        await Teller.ExpectValidationError(response, "amount");
        (await _teller.StateAsync(accountId)).Should().Be(("5.00", 2L));
    }

    [Theory]
    [InlineData("1000000000000.00")]
    [InlineData("\"1000000000000.00\"")]
    [InlineData("\"1000000000000\"")]
    public async Task MaximumAmount_IsAccepted(string amount)
    {
        var accountId = await _teller.OpenAccountAsync();

        using var response = await _teller.DepositRawAsync(accountId, $$"""{"amount":{{amount}}}""");

        (await Teller.Expect(response, HttpStatusCode.OK)).GetProperty("balance").GetRawText().Should().Be("1000000000000.00");
    }

    [Theory]
    [InlineData("1000000000000.01")]
    [InlineData("\"1000000000000.01\"")]
    [InlineData("\"99999999999999999999\"")]
    [InlineData("1e400")]
    public async Task AmountAboveMaximum_IsRejected(string amount)
    {
        var accountId = await _teller.OpenAccountAsync();

        using var response = await _teller.DepositRawAsync(accountId, $$"""{"amount":{{amount}}}""");

        await Teller.ExpectValidationError(response, "amount");
        (await _teller.StateAsync(accountId)).Should().Be(("0.00", 1L));
    }

    [Theory]
    [InlineData("\"12.345\"")]
    [InlineData("12.345")]
    [InlineData("\"0.001\"")]
    public async Task MoreDigitsThanEuroAllows_IsRejectedWithoutRounding(string amount)
    {
        var accountId = await _teller.OpenFundedAccountAsync("1.00");

        using var response = await _teller.DepositRawAsync(accountId, $$"""{"amount":{{amount}}}""");

        await Teller.ExpectValidationError(response, "amount");
        (await _teller.StateAsync(accountId)).Should().Be(("1.00", 2L));
    }

    [Fact]
    public async Task YenWholeAmount_IsAccepted()
    {
        var accountId = await _teller.OpenAccountAsync("JPY");

        var view = await _teller.DepositAsync(accountId, "5");

        view.GetProperty("balance").GetRawText().Should().Be("5");
    }

    [Theory]
    [InlineData("\"5.5\"")]
    [InlineData("5.5")]
    public async Task YenFraction_IsRejected(string amount)
    {
        var accountId = await _teller.OpenAccountAsync("JPY");

        using var response = await _teller.DepositRawAsync(accountId, $$"""{"amount":{{amount}}}""");

        await Teller.ExpectValidationError(response, "amount");
        (await _teller.StateAsync(accountId)).Should().Be(("0", 1L));
    }

    [Theory]
    [InlineData("BHD", "1.234", "1.234")]
    [InlineData("KWD", "0.001", "0.001")]
    [InlineData("BHD", "5.000", "5.000")]
    public async Task ThreeDigitCurrency_AcceptsThreeDigits(string currency, string amount, string balance)
    {
        var accountId = await _teller.OpenAccountAsync(currency);

        var view = await _teller.DepositAsync(accountId, amount);

        view.GetProperty("balance").GetRawText().Should().Be(balance);
    }

    [Fact]
    public async Task ThreeDigitCurrencyWithFourDigits_IsRejected()
    {
        var accountId = await _teller.OpenAccountAsync("BHD");

        using var response = await _teller.DepositRawAsync(accountId, """{"amount":"1.2345"}""");

        await Teller.ExpectValidationError(response, "amount");
    }

    [Fact]
    public async Task ReferenceOf140Characters_IsAccepted()
    {
        var accountId = await _teller.OpenAccountAsync();

        using var response = await _teller.DepositRawAsync(accountId, Teller.Json(new { amount = "1", reference = new string('r', 140) }));

        await Teller.Expect(response, HttpStatusCode.OK);
    }

    [Theory]
    [InlineData(141)]
    [InlineData(1000)]
    public async Task ReferenceLongerThan140Characters_IsRejected(int length)
    {
        var accountId = await _teller.OpenAccountAsync();

        using var response = await _teller.DepositRawAsync(accountId, Teller.Json(new { amount = "1", reference = new string('r', length) }));

        await Teller.ExpectValidationError(response, "reference");
        (await _teller.StateAsync(accountId)).Should().Be(("0.00", 1L));
    }

    [Fact]
    public async Task ReferenceWithControlCharacter_IsRejected()
    {
        var accountId = await _teller.OpenAccountAsync();

        using var response = await _teller.DepositRawAsync(accountId, Teller.Json(new { amount = "1", reference = "inv\u0007oice" }));

        await Teller.ExpectValidationError(response, "reference");
    }

    [Fact]
    public async Task UnknownAccount_Returns404()
    {
        using var response = await _teller.DepositRawAsync(Guid.NewGuid(), """{"amount":"1.00"}""");

        await Teller.ExpectProblem(response, HttpStatusCode.NotFound, ProblemTypes.AccountNotFound);
    }

    [Fact]
    public async Task IfMatchCurrentVersion_IsAccepted()
    {
        var accountId = await _teller.OpenFundedAccountAsync("1.00");

        using var response = await _teller.DepositRawAsync(accountId, """{"amount":"2.00"}""", ("If-Match", "\"2\""));

        var view = await Teller.Expect(response, HttpStatusCode.OK);
        view.GetProperty("balance").GetRawText().Should().Be("3.00");
        view.GetProperty("version").GetInt64().Should().Be(3);
        response.Headers.ETag?.Tag.Should().Be("\"3\"");
    }

    [Fact]
    public async Task IfMatchFromGetETag_IsAccepted()
    {
        var accountId = await _teller.OpenAccountAsync();
        using var read = await _teller.GetAsync($"/api/v1/accounts/{accountId}");
        var etag = read.Headers.ETag!.Tag;

        using var response = await _teller.DepositRawAsync(accountId, """{"amount":"2.00"}""", ("If-Match", etag));

        await Teller.Expect(response, HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("\"1\"")]
    [InlineData("\"3\"")]
    [InlineData("\"99\"")]
    public async Task IfMatchOtherVersion_Returns412AndChangesNothing(string ifMatch)
    {
        var accountId = await _teller.OpenFundedAccountAsync("1.00");

        using var response = await _teller.DepositRawAsync(accountId, """{"amount":"2.00"}""", ("If-Match", ifMatch));

        await Teller.ExpectProblem(response, HttpStatusCode.PreconditionFailed, ProblemTypes.VersionMismatch);
        (await _teller.StateAsync(accountId)).Should().Be(("1.00", 2L));
    }

    [Theory]
    [MemberData(nameof(ApiCases.MalformedIfMatches), MemberType = typeof(ApiCases))]
    public async Task MalformedIfMatch_Returns400AndChangesNothing(string ifMatch)
    {
        var accountId = await _teller.OpenAccountAsync();

        using var response = await _teller.DepositRawAsync(accountId, """{"amount":"2.00"}""", ("If-Match", ifMatch));

        await Teller.ExpectValidationError(response, "If-Match");
        (await _teller.StateAsync(accountId)).Should().Be(("0.00", 1L));
    }

    [Fact]
    public async Task IfMatchOnUnknownAccount_Returns404()
    {
        using var response = await _teller.DepositRawAsync(Guid.NewGuid(), """{"amount":"2.00"}""", ("If-Match", "\"1\""));

        await Teller.ExpectProblem(response, HttpStatusCode.NotFound, ProblemTypes.AccountNotFound);
    }
}
