using System.Net;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Testing;

namespace Ledger.Api.Tests.Transfers;

[Collection(ApiFixtureGroup.Name)]
public sealed class TransferTests(LedgerApiFactory factory)
{
    private readonly Teller _teller = new(factory.CreateClient());

    [Fact]
    public async Task Valid_MovesMoneyAndReturns201WithReceipt()
    {
        var fromAccountId = await _teller.OpenFundedAccountAsync("100.00");
        var toAccountId = await _teller.OpenFundedAccountAsync("1.00");

        using var response = await _teller.TransferRawAsync(new { fromAccountId, toAccountId, amount = "40.25", reference = "invoice 7" });

        var receipt = await Teller.Expect(response, HttpStatusCode.Created);
        var transferId = receipt.GetProperty("transferId").GetGuid();
        transferId.Should().NotBeEmpty();
        response.Headers.Location!.OriginalString.Should().Be($"/api/v1/transfers/{transferId}");
        receipt.GetProperty("fromAccountId").GetGuid().Should().Be(fromAccountId);
        receipt.GetProperty("toAccountId").GetGuid().Should().Be(toAccountId);
        receipt.GetProperty("amount").GetRawText().Should().Be("40.25");
        receipt.GetProperty("currency").GetString().Should().Be("EUR");
        receipt.GetProperty("fromBalance").GetRawText().Should().Be("59.75");
        receipt.GetProperty("toBalance").GetRawText().Should().Be("41.25");
        receipt.EnumerateObject().Select(property => property.Name).Should().BeEquivalentTo(
            "transferId", "fromAccountId", "toAccountId", "amount", "currency", "fromBalance", "toBalance");
        (await _teller.StateAsync(fromAccountId)).Should().Be(("59.75", 3L));
        (await _teller.StateAsync(toAccountId)).Should().Be(("41.25", 3L));
    }

    [Fact]
    public async Task AmountAsNumber_MovesMoney()
    {
        var fromAccountId = await _teller.OpenFundedAccountAsync("10.00");
        var toAccountId = await _teller.OpenAccountAsync();

        using var response = await _teller.PostJsonAsync(Teller.TransfersPath,
            $$"""{"fromAccountId":"{{fromAccountId}}","toAccountId":"{{toAccountId}}","amount":2.5}""");

        var receipt = await Teller.Expect(response, HttpStatusCode.Created);
        receipt.GetProperty("amount").GetRawText().Should().Be("2.50");
        (await _teller.StateAsync(fromAccountId)).Balance.Should().Be("7.50");
        (await _teller.StateAsync(toAccountId)).Balance.Should().Be("2.50");
    }

    [Fact]
    public async Task ClientSuppliedTransferId_IsUsed()
    {
        var fromAccountId = await _teller.OpenFundedAccountAsync("10.00");
        var toAccountId = await _teller.OpenAccountAsync();
        var transferId = Guid.NewGuid();

        using var response = await _teller.TransferRawAsync(new { transferId, fromAccountId, toAccountId, amount = "1" });

        (await Teller.Expect(response, HttpStatusCode.Created)).GetProperty("transferId").GetGuid().Should().Be(transferId);
        response.Headers.Location!.OriginalString.Should().Be($"/api/v1/transfers/{transferId}");
    }

    [Fact]
    public async Task IntoOverdraftToExactlyMinusLimit_IsAccepted()
    {
        var fromAccountId = await _teller.OpenFundedAccountAsync("10.00", overdraftLimit: 50m);
        var toAccountId = await _teller.OpenAccountAsync();

        var receipt = await _teller.TransferAsync(fromAccountId, toAccountId, "60.00");

        receipt.GetProperty("fromBalance").GetRawText().Should().Be("-50.00");
        receipt.GetProperty("toBalance").GetRawText().Should().Be("60.00");
    }

    [Fact]
    public async Task SameTransferIdAndBody_ReplaysFirstResponseWithoutSecondEffect()
    {
        var fromAccountId = await _teller.OpenFundedAccountAsync("100.00");
        var toAccountId = await _teller.OpenAccountAsync();
        var body = new { transferId = Guid.NewGuid(), fromAccountId, toAccountId, amount = "30.00", reference = "rent" };
        using var first = await _teller.TransferRawAsync(body);
        var firstReceipt = await Teller.Expect(first, HttpStatusCode.Created);

        using var again = await _teller.TransferRawAsync(body);

        (await Teller.Expect(again, HttpStatusCode.Created)).GetRawText().Should().Be(firstReceipt.GetRawText());
        again.Headers.Location.Should().Be(first.Headers.Location);
        (await _teller.StateAsync(fromAccountId)).Should().Be(("70.00", 3L));
        (await _teller.StateAsync(toAccountId)).Should().Be(("30.00", 2L));
    }

    [Fact]
    public async Task ReplayAfterSourceIsDrained_StillReplaysFirstResponse()
    {
        var fromAccountId = await _teller.OpenFundedAccountAsync("30.00");
        var toAccountId = await _teller.OpenAccountAsync();
        var body = new { transferId = Guid.NewGuid(), fromAccountId, toAccountId, amount = "30.00" };
        using var first = await _teller.TransferRawAsync(body);
        var firstReceipt = await Teller.Expect(first, HttpStatusCode.Created);

        using var again = await _teller.TransferRawAsync(body);

        (await Teller.Expect(again, HttpStatusCode.Created)).GetRawText().Should().Be(firstReceipt.GetRawText());
        (await _teller.StateAsync(fromAccountId)).Should().Be(("0.00", 3L));
        (await _teller.StateAsync(toAccountId)).Should().Be(("30.00", 2L));
    }

    [Fact]
    public async Task ReplayWithEqualAmountWrittenDifferently_ReplaysFirstResponse()
    {
        var fromAccountId = await _teller.OpenFundedAccountAsync("100.00");
        var toAccountId = await _teller.OpenAccountAsync();
        var transferId = Guid.NewGuid();
        using var first = await _teller.TransferRawAsync(new { transferId, fromAccountId, toAccountId, amount = "30" });
        var firstReceipt = await Teller.Expect(first, HttpStatusCode.Created);

        using var again = await _teller.TransferRawAsync(new { transferId, fromAccountId, toAccountId, amount = 30.00m });

        (await Teller.Expect(again, HttpStatusCode.Created)).GetRawText().Should().Be(firstReceipt.GetRawText());
        (await _teller.StateAsync(fromAccountId)).Balance.Should().Be("70.00");
    }

    [Theory]
    [InlineData("amount")]
    [InlineData("reference")]
    [InlineData("toAccountId")]
    [InlineData("direction")]
    public async Task SameTransferIdWithDifferentContent_IsConflictWithoutEffect(string changed)
    {
        var fromAccountId = await _teller.OpenFundedAccountAsync("100.00");
        var toAccountId = await _teller.OpenFundedAccountAsync("100.00");
        var otherAccountId = await _teller.OpenAccountAsync();
        var transferId = Guid.NewGuid();
        using var first = await _teller.TransferRawAsync(new { transferId, fromAccountId, toAccountId, amount = "30.00", reference = "rent" });
        await Teller.Expect(first, HttpStatusCode.Created);

        using var again = await _teller.TransferRawAsync(new
        {
            transferId,
            fromAccountId = changed == "direction" ? toAccountId : fromAccountId,
            toAccountId = changed switch { "toAccountId" => otherAccountId, "direction" => fromAccountId, _ => toAccountId },
            amount = changed == "amount" ? "30.01" : "30.00",
            reference = changed == "reference" ? "rent!" : "rent",
        });

        await Teller.ExpectProblem(again, HttpStatusCode.Conflict, ProblemTypes.TransferAlreadyExists);
        (await _teller.StateAsync(fromAccountId)).Should().Be(("70.00", 3L));
        (await _teller.StateAsync(toAccountId)).Should().Be(("130.00", 3L));
        (await _teller.StateAsync(otherAccountId)).Should().Be(("0.00", 1L));
    }

    [Fact]
    public async Task SameTransferIdWithAnAmountTheCurrencyCannotHold_IsInvalidLikeAFirstRequest_WithoutEffect()
    {
        var fromAccountId = await _teller.OpenFundedAccountAsync("100.00");
        var toAccountId = await _teller.OpenAccountAsync();
        var transferId = Guid.NewGuid();
        using var first = await _teller.TransferRawAsync(new { transferId, fromAccountId, toAccountId, amount = "30.00" });
        await Teller.Expect(first, HttpStatusCode.Created);

        using var again = await _teller.TransferRawAsync(new { transferId, fromAccountId, toAccountId, amount = "30.001" });

        await Teller.ExpectFieldProblem(again, ProblemTypes.Validation, "amount");
        (await _teller.StateAsync(fromAccountId)).Should().Be(("70.00", 3L));
    }

    [Fact]
    public async Task SameAccountOnBothSides_IsRejected()
    {
        var accountId = await _teller.OpenFundedAccountAsync("10.00");

        using var response = await _teller.TransferRawAsync(new { fromAccountId = accountId, toAccountId = accountId, amount = "1.00" });

        await Teller.ExpectProblem(response, HttpStatusCode.UnprocessableEntity, ProblemTypes.SameAccount);
        (await _teller.StateAsync(accountId)).Should().Be(("10.00", 2L));
    }

    [Theory]
    [InlineData("EUR", "USD")]
    [InlineData("EUR", "JPY")]
    [InlineData("BHD", "KWD")]
    public async Task DifferentCurrencies_AreRejectedWithoutEffect(string fromCurrency, string toCurrency)
    {
        var fromAccountId = await _teller.OpenFundedAccountAsync("10", fromCurrency);
        var toAccountId = await _teller.OpenAccountAsync(toCurrency);

        using var response = await _teller.TransferRawAsync(new { fromAccountId, toAccountId, amount = "1" });

        await Teller.ExpectProblem(response, HttpStatusCode.UnprocessableEntity, ProblemTypes.CurrencyMismatch);
        (await _teller.StateAsync(fromAccountId)).Version.Should().Be(2);
        (await _teller.StateAsync(toAccountId)).Version.Should().Be(1);
    }

    [Fact]
    public async Task MoreThanBalance_IsRejectedAndNeitherBalanceChanges()
    {
        var fromAccountId = await _teller.OpenFundedAccountAsync("10.00", overdraftLimit: 5m);
        var toAccountId = await _teller.OpenFundedAccountAsync("3.00");

        using var response = await _teller.TransferRawAsync(new { fromAccountId, toAccountId, amount = "15.01" });

        await Teller.ExpectProblem(response, HttpStatusCode.UnprocessableEntity, ProblemTypes.InsufficientFunds);
        (await _teller.StateAsync(fromAccountId)).Should().Be(("10.00", 2L));
        (await _teller.StateAsync(toAccountId)).Should().Be(("3.00", 2L));
    }

    [Fact]
    public async Task UnknownSourceAccount_Returns404WithoutEffect()
    {
        var toAccountId = await _teller.OpenAccountAsync();

        using var response = await _teller.TransferRawAsync(new { fromAccountId = Guid.NewGuid(), toAccountId, amount = "1.00" });

        await Teller.ExpectProblem(response, HttpStatusCode.NotFound, ProblemTypes.AccountNotFound);
        (await _teller.StateAsync(toAccountId)).Should().Be(("0.00", 1L));
    }

    [Fact]
    public async Task UnknownDestinationAccount_Returns404WithoutEffect()
    {
        var fromAccountId = await _teller.OpenFundedAccountAsync("10.00");
        var transferId = Guid.NewGuid();

        using var response = await _teller.TransferRawAsync(new { transferId, fromAccountId, toAccountId = Guid.NewGuid(), amount = "1.00" });

        await Teller.ExpectProblem(response, HttpStatusCode.NotFound, ProblemTypes.AccountNotFound);
        (await _teller.StateAsync(fromAccountId)).Should().Be(("10.00", 2L));
        using var read = await _teller.GetAsync($"/api/v1/transfers/{transferId}");
        await Teller.ExpectProblem(read, HttpStatusCode.NotFound, ProblemTypes.TransferNotFound);
    }

    [Theory]
    [InlineData("fromAccountId")]
    [InlineData("toAccountId")]
    public async Task MissingAccountId_IsRejected(string missing)
    {
        var accountId = await _teller.OpenFundedAccountAsync("10.00");
        var body = missing == "fromAccountId"
            ? Teller.Json(new { toAccountId = accountId, amount = "1" })
            : Teller.Json(new { fromAccountId = accountId, amount = "1" });

        using var response = await _teller.PostJsonAsync(Teller.TransfersPath, body);

        await Teller.ExpectValidationError(response, missing);
        (await _teller.StateAsync(accountId)).Should().Be(("10.00", 2L));
    }

    [Fact]
    public async Task EmptyUuidTransferId_IsRejected()
    {
        var fromAccountId = await _teller.OpenFundedAccountAsync("10.00");
        var toAccountId = await _teller.OpenAccountAsync();

        using var response = await _teller.TransferRawAsync(new { transferId = Guid.Empty, fromAccountId, toAccountId, amount = "1" });

        await Teller.ExpectValidationError(response, "transferId");
    }

    [Theory]
    [MemberData(nameof(ApiCases.UnreadableAmounts), MemberType = typeof(ApiCases))]
    public async Task UnreadableAmount_IsRejected(string amount)
    {
        var (fromAccountId, toAccountId) = await OpenPairAsync("5000.00");

        using var response = await _teller.PostJsonAsync(Teller.TransfersPath,
            $$"""{"fromAccountId":"{{fromAccountId}}","toAccountId":"{{toAccountId}}","amount":{{amount}}}""");

        await Teller.ExpectValidationError(response, "amount");
        await ExpectUnchangedAsync(fromAccountId, toAccountId, "5000.00");
    }

    [Theory]
    [MemberData(nameof(ApiCases.NonPositiveAmounts), MemberType = typeof(ApiCases))]
    public async Task NonPositiveAmount_IsRejected(string amount)
    {
        var (fromAccountId, toAccountId) = await OpenPairAsync("10.00");

        using var response = await _teller.PostJsonAsync(Teller.TransfersPath,
            $$"""{"fromAccountId":"{{fromAccountId}}","toAccountId":"{{toAccountId}}","amount":{{amount}}}""");

        await Teller.ExpectValidationError(response, "amount");
        await ExpectUnchangedAsync(fromAccountId, toAccountId, "10.00");
    }

    [Theory]
    [InlineData("\"12.345\"")]
    [InlineData("12.345")]
    public async Task MoreDigitsThanEuroAllows_IsRejectedWithoutEffect(string amount)
    {
        var (fromAccountId, toAccountId) = await OpenPairAsync("100.00");

        using var response = await _teller.PostJsonAsync(Teller.TransfersPath,
            $$"""{"fromAccountId":"{{fromAccountId}}","toAccountId":"{{toAccountId}}","amount":{{amount}}}""");

        await Teller.ExpectValidationError(response, "amount");
        await ExpectUnchangedAsync(fromAccountId, toAccountId, "100.00");
    }

    [Fact]
    public async Task MaximumAmount_IsAccepted()
    {
        var fromAccountId = await _teller.OpenAccountAsync("EUR", 1_000_000_000_000.00m);
        var toAccountId = await _teller.OpenAccountAsync();

        var receipt = await _teller.TransferAsync(fromAccountId, toAccountId, "1000000000000.00");

        receipt.GetProperty("fromBalance").GetRawText().Should().Be("-1000000000000.00");
        receipt.GetProperty("toBalance").GetRawText().Should().Be("1000000000000.00");
    }

    [Fact]
    public async Task AmountAboveMaximum_IsRejected()
    {
        var fromAccountId = await _teller.OpenAccountAsync("EUR", 1_000_000_000_000.00m);
        var toAccountId = await _teller.OpenAccountAsync();

        using var response = await _teller.TransferRawAsync(new { fromAccountId, toAccountId, amount = "1000000000000.01" });

        await Teller.ExpectValidationError(response, "amount");
        await ExpectUnchangedAsync(fromAccountId, toAccountId, "0.00", fromVersion: 1);
    }

    [Fact]
    public async Task YenWholeAmount_IsAcceptedAndFractionRejected()
    {
        var fromAccountId = await _teller.OpenFundedAccountAsync("10", "JPY");
        var toAccountId = await _teller.OpenAccountAsync("JPY");

        var receipt = await _teller.TransferAsync(fromAccountId, toAccountId, "5");
        using var fraction = await _teller.TransferRawAsync(new { fromAccountId, toAccountId, amount = "5.5" });

        receipt.GetProperty("amount").GetRawText().Should().Be("5");
        receipt.GetProperty("fromBalance").GetRawText().Should().Be("5");
        await Teller.ExpectValidationError(fraction, "amount");
        (await _teller.StateAsync(toAccountId)).Should().Be(("5", 2L));
    }

    [Fact]
    public async Task BahrainiDinarThreeDigits_IsAccepted()
    {
        var fromAccountId = await _teller.OpenFundedAccountAsync("2", "BHD");
        var toAccountId = await _teller.OpenAccountAsync("BHD");

        var receipt = await _teller.TransferAsync(fromAccountId, toAccountId, "1.234");

        receipt.GetProperty("amount").GetRawText().Should().Be("1.234");
        receipt.GetProperty("fromBalance").GetRawText().Should().Be("0.766");
    }

    [Fact]
    public async Task ReferenceOf140Characters_IsAccepted()
    {
        var (fromAccountId, toAccountId) = await OpenPairAsync("10.00");

        using var response = await _teller.TransferRawAsync(new { fromAccountId, toAccountId, amount = "1", reference = new string('r', 140) });

        await Teller.Expect(response, HttpStatusCode.Created);
    }

    [Fact]
    public async Task ReferenceOf141Characters_IsRejected()
    {
        var (fromAccountId, toAccountId) = await OpenPairAsync("10.00");

        using var response = await _teller.TransferRawAsync(new { fromAccountId, toAccountId, amount = "1", reference = new string('r', 141) });

        await Teller.ExpectValidationError(response, "reference");
        await ExpectUnchangedAsync(fromAccountId, toAccountId, "10.00");
    }

    [Fact]
    public async Task OppositeTransfers_BothApply()
    {
        var (firstAccountId, secondAccountId) = await OpenPairAsync("10.00");

        await _teller.TransferAsync(firstAccountId, secondAccountId, "4");
        await _teller.TransferAsync(secondAccountId, firstAccountId, "1.5");

        (await _teller.StateAsync(firstAccountId)).Should().Be(("7.50", 4L));
        (await _teller.StateAsync(secondAccountId)).Should().Be(("2.50", 3L));
    }

    private async Task<(Guid FromAccountId, Guid ToAccountId)> OpenPairAsync(string fromDeposit) =>
        (await _teller.OpenFundedAccountAsync(fromDeposit), await _teller.OpenAccountAsync());

    private async Task ExpectUnchangedAsync(Guid fromAccountId, Guid toAccountId, string fromBalance, long fromVersion = 2)
    {
        (await _teller.StateAsync(fromAccountId)).Should().Be((fromBalance, fromVersion));
        (await _teller.StateAsync(toAccountId)).Should().Be(("0.00", 1L));
    }
}
