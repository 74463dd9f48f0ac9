using System.Net;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Testing;

namespace Ledger.Api.Tests.Accounts;

[Collection(ApiFixtureGroup.Name)]
public sealed class WithdrawTests(LedgerApiFactory factory)
{
    private readonly Teller _teller = new(factory.CreateClient());

    [Fact]
    public async Task WithinBalance_DebitsAccountAndReturnsView()
    {
        var accountId = await _teller.OpenFundedAccountAsync("100.00");

        using var response = await _teller.WithdrawRawAsync(accountId, """{"amount":"30.50","reference":"rent"}""");

        var view = await Teller.Expect(response, HttpStatusCode.OK);
        response.Headers.ETag?.Tag.Should().Be("\"3\"");
        view.GetProperty("balance").GetRawText().Should().Be("69.50");
        view.GetProperty("version").GetInt64().Should().Be(3);
        view.GetProperty("updatedAt").ShouldBeUtcTimestamp();
        view.GetRawText().Should().Be((await _teller.GetAccountAsync(accountId)).WithoutSequence());
    }

    [Fact]
    public async Task AmountAsNumber_DebitsAccount()
    {
        var accountId = await _teller.OpenFundedAccountAsync("100.00");

        using var response = await _teller.WithdrawRawAsync(accountId, """{"amount":0.01}""");

        (await Teller.Expect(response, HttpStatusCode.OK)).GetProperty("balance").GetRawText().Should().Be("99.99");
    }

    [Fact]
    public async Task WholeBalanceWithoutOverdraft_LeavesZero()
    {
        var accountId = await _teller.OpenFundedAccountAsync("10.00");

        var view = await _teller.WithdrawAsync(accountId, "10");

        view.GetProperty("balance").GetRawText().Should().Be("0.00");
    }

    [Fact]
    public async Task OneCentMoreThanBalanceWithoutOverdraft_IsRejected()
    {
        var accountId = await _teller.OpenFundedAccountAsync("10.00");

        using var response = await _teller.WithdrawRawAsync(accountId, """{"amount":"10.01"}""");

        await Teller.ExpectProblem(response, HttpStatusCode.UnprocessableEntity, ProblemTypes.InsufficientFunds);
        (await _teller.StateAsync(accountId)).Should().Be(("10.00", 2L));
    }

    [Fact]
    public async Task EmptyAccountWithoutOverdraft_IsRejected()
    {
        var accountId = await _teller.OpenAccountAsync();

        using var response = await _teller.WithdrawRawAsync(accountId, """{"amount":"0.01"}""");

        await Teller.ExpectProblem(response, HttpStatusCode.UnprocessableEntity, ProblemTypes.InsufficientFunds);
        (await _teller.StateAsync(accountId)).Should().Be(("0.00", 1L));
    }

    [Fact]
    public async Task ToExactlyMinusOverdraftLimit_IsAccepted()
    {
        var accountId = await _teller.OpenFundedAccountAsync("10.00", overdraftLimit: 50m);

        var view = await _teller.WithdrawAsync(accountId, "60.00");

        view.GetProperty("balance").GetRawText().Should().Be("-50.00");
        view.GetProperty("overdraftLimit").GetRawText().Should().Be("50.00");
    }

    [Fact]
    public async Task OneCentBeyondOverdraftLimit_IsRejectedAndBalanceUnchanged()
    {
        var accountId = await _teller.OpenFundedAccountAsync("10.00", overdraftLimit: 50m);

        using var response = await _teller.WithdrawRawAsync(accountId, """{"amount":"60.01"}""");

        var problem = await Teller.ExpectProblem(response, HttpStatusCode.UnprocessableEntity, ProblemTypes.InsufficientFunds);
        problem.ShouldBeCompleteProblem(422);
        (await _teller.StateAsync(accountId)).Should().Be(("10.00", 2L));
    }

    [Fact]
    public async Task OneCentMoreAtOverdraftLimit_IsRejected()
    {
        var accountId = await _teller.OpenAccountAsync("EUR", 50m);
        await _teller.WithdrawAsync(accountId, "50");

        using var response = await _teller.WithdrawRawAsync(accountId, """{"amount":"0.01"}""");

        await Teller.ExpectProblem(response, HttpStatusCode.UnprocessableEntity, ProblemTypes.InsufficientFunds);
        (await _teller.StateAsync(accountId)).Should().Be(("-50.00", 2L));
    }

    [Fact]
    public async Task MaximumAmountWithinMaximumOverdraft_IsAccepted()
    {
        var accountId = await _teller.OpenAccountAsync("EUR", 1_000_000_000_000.00m);

        var view = await _teller.WithdrawAsync(accountId, "1000000000000.00");

        view.GetProperty("balance").GetRawText().Should().Be("-1000000000000.00");
    }

    [Theory]
    [InlineData("1000000000000.01")]
    [InlineData("\"1000000000000.01\"")]
    public async Task AmountAboveMaximum_IsRejected(string amount)
    {
        var accountId = await _teller.OpenAccountAsync("EUR", 1_000_000_000_000.00m);

        using var response = await _teller.WithdrawRawAsync(accountId, $$"""{"amount":{{amount}}}""");

        await Teller.ExpectValidationError(response, "amount");
        (await _teller.StateAsync(accountId)).Should().Be(("0.00", 1L));
    }

    [Theory]
    [MemberData(nameof(ApiCases.UnreadableAmounts), MemberType = typeof(ApiCases))]
    public async Task UnreadableAmount_IsRejected(string amount)
    {
        var accountId = await _teller.OpenFundedAccountAsync("5000.00");

        using var response = await _teller.WithdrawRawAsync(accountId, $$"""{"amount":{{amount}}}""");

        await Teller.ExpectValidationError(response, "amount");
        (await _teller.StateAsync(accountId)).Should().Be(("5000.00", 2L));
    }

    [Theory]
    [MemberData(nameof(ApiCases.NonPositiveAmounts), MemberType = typeof(ApiCases))]
    public async Task NonPositiveAmount_IsRejected(string amount)
    {
        var accountId = await _teller.OpenFundedAccountAsync("5.00");

        using var response = await _teller.WithdrawRawAsync(accountId, $$"""{"amount":{{amount}}}""");

        await Teller.ExpectValidationError(response, "amount");
        (await _teller.StateAsync(accountId)).Should().Be(("5.00", 2L));
    }

    [Theory]
    [InlineData("\"12.345\"")]
    [InlineData("12.345")]
    public async Task MoreDigitsThanEuroAllows_IsRejectedWithoutRounding(string amount)
    {
        var accountId = await _teller.OpenFundedAccountAsync("100.00");

        using var response = await _teller.WithdrawRawAsync(accountId, $$"""{"amount":{{amount}}}""");

        await Teller.ExpectValidationError(response, "amount");
        (await _teller.StateAsync(accountId)).Should().Be(("100.00", 2L));
    }

    [Fact]
    public async Task YenWholeAmount_IsAcceptedAndFractionRejected()
    {
        var accountId = await _teller.OpenFundedAccountAsync("10", "JPY");

        (await _teller.WithdrawAsync(accountId, "5")).GetProperty("balance").GetRawText().Should().Be("5");
        using var response = await _teller.WithdrawRawAsync(accountId, """{"amount":"0.5"}""");

        await Teller.ExpectValidationError(response, "amount");
        (await _teller.StateAsync(accountId)).Should().Be(("5", 3L));
    }

    [Fact]
    public async Task ReferenceOf141Characters_IsRejected()
    {
        var accountId = await _teller.OpenFundedAccountAsync("5.00");

        using var response = await _teller.WithdrawRawAsync(accountId, Teller.Json(new { amount = "1", reference = new string('r', 141) }));

        await Teller.ExpectValidationError(response, "reference");
        (await _teller.StateAsync(accountId)).Should().Be(("5.00", 2L));
    }

    [Fact]
    public async Task UnknownAccount_Returns404()
    {
        using var response = await _teller.WithdrawRawAsync(Guid.NewGuid(), """{"amount":"1.00"}""");

        await Teller.ExpectProblem(response, HttpStatusCode.NotFound, ProblemTypes.AccountNotFound);
    }

    [Fact]
    public async Task IfMatchCurrentVersion_IsAccepted()
    {
        var accountId = await _teller.OpenFundedAccountAsync("5.00");

        using var response = await _teller.WithdrawRawAsync(accountId, """{"amount":"2.00"}""", ("If-Match", "\"2\""));

        (await Teller.Expect(response, HttpStatusCode.OK)).GetProperty("balance").GetRawText().Should().Be("3.00");
        response.Headers.ETag?.Tag.Should().Be("\"3\"");
    }

    [Fact]
    public async Task IfMatchStaleVersion_Returns412AndChangesNothing()
    {
        var accountId = await _teller.OpenFundedAccountAsync("5.00");

        using var response = await _teller.WithdrawRawAsync(accountId, """{"amount":"2.00"}""", ("If-Match", "\"1\""));

        await Teller.ExpectProblem(response, HttpStatusCode.PreconditionFailed, ProblemTypes.VersionMismatch);
        (await _teller.StateAsync(accountId)).Should().Be(("5.00", 2L));
    }

    [Theory]
    [MemberData(nameof(ApiCases.MalformedIfMatches), MemberType = typeof(ApiCases))]
    public async Task MalformedIfMatch_Returns400AndChangesNothing(string ifMatch)
    {
        var accountId = await _teller.OpenFundedAccountAsync("5.00");

        using var response = await _teller.WithdrawRawAsync(accountId, """{"amount":"2.00"}""", ("If-Match", ifMatch));

        await Teller.ExpectValidationError(response, "If-Match");
        (await _teller.StateAsync(accountId)).Should().Be(("5.00", 2L));
    }

    [Fact]
    public async Task IfMatchCurrentButInsufficientFunds_Returns422()
    {
        var accountId = await _teller.OpenFundedAccountAsync("5.00");

        using var response = await _teller.WithdrawRawAsync(accountId, """{"amount":"6.00"}""", ("If-Match", "\"2\""));

        await Teller.ExpectProblem(response, HttpStatusCode.UnprocessableEntity, ProblemTypes.InsufficientFunds);
    }
}
