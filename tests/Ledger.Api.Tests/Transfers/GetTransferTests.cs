using System.Net;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Testing;

namespace Ledger.Api.Tests.Transfers;

[Collection(ApiFixtureGroup.Name)]
public sealed class GetTransferTests(LedgerApiFactory factory)
{
    private readonly Teller _teller = new(factory.CreateClient());

    [Fact]
    public async Task Existing_ReturnsTheBodyOfTheTransferResponse()
    {
        var fromAccountId = await _teller.OpenFundedAccountAsync("50.00");
        var toAccountId = await _teller.OpenAccountAsync();
        using var created = await _teller.TransferRawAsync(new { fromAccountId, toAccountId, amount = "12.5", reference = "books" });
        var receipt = await Teller.Expect(created, HttpStatusCode.Created);

        using var response = await _teller.GetAsync(created.Headers.Location!.OriginalString);

        var view = await Teller.Expect(response, HttpStatusCode.OK);
        response.Content.Headers.ContentType?.MediaType.Should().Be("application/json");
        view.GetRawText().Should().Be(receipt.GetRawText());
        view.GetProperty("amount").GetRawText().Should().Be("12.50");
        view.GetProperty("fromBalance").GetRawText().Should().Be("37.50");
        view.GetProperty("toBalance").GetRawText().Should().Be("12.50");
    }

    [Fact]
    public async Task AfterLaterMovements_StillShowsBalancesAsRecorded()
    {
        var fromAccountId = await _teller.OpenFundedAccountAsync("50.00");
        var toAccountId = await _teller.OpenAccountAsync();
        var receipt = await _teller.TransferAsync(fromAccountId, toAccountId, "10");
        await _teller.DepositAsync(fromAccountId, "1000");
        await _teller.WithdrawAsync(toAccountId, "10");

        using var response = await _teller.GetAsync($"/api/v1/transfers/{receipt.GetProperty("transferId").GetGuid()}");

        (await Teller.Expect(response, HttpStatusCode.OK)).GetRawText().Should().Be(receipt.GetRawText());
    }

    [Fact]
    public async Task Unknown_Returns404()
    {
        var transferId = Guid.NewGuid();

        using var response = await _teller.GetAsync($"/api/v1/transfers/{transferId}");

        var problem = await Teller.ExpectProblem(response, HttpStatusCode.NotFound, ProblemTypes.TransferNotFound);
        problem.ShouldBeCompleteProblem(404);
        problem.GetProperty("detail").GetString().Should().Contain(transferId.ToString());
    }

    [Fact]
    public async Task RejectedTransfer_IsNotRecorded()
    {
        var fromAccountId = await _teller.OpenFundedAccountAsync("5.00");
        var toAccountId = await _teller.OpenAccountAsync();
        var transferId = Guid.NewGuid();
        using var rejected = await _teller.TransferRawAsync(new { transferId, fromAccountId, toAccountId, amount = "6.00" });
        await Teller.ExpectProblem(rejected, HttpStatusCode.UnprocessableEntity, ProblemTypes.InsufficientFunds);

        using var response = await _teller.GetAsync($"/api/v1/transfers/{transferId}");

        await Teller.ExpectProblem(response, HttpStatusCode.NotFound, ProblemTypes.TransferNotFound);
    }

    [Fact]
    public async Task AccountIdIsNotATransferId_Returns404()
    {
        var accountId = await _teller.OpenAccountAsync();

        using var response = await _teller.GetAsync($"/api/v1/transfers/{accountId}");

        await Teller.ExpectProblem(response, HttpStatusCode.NotFound, ProblemTypes.TransferNotFound);
    }

    [Fact]
    public async Task NonUuidId_Returns400()
    {
        using var response = await _teller.GetAsync("/api/v1/transfers/not-a-uuid");

        var problem = await Teller.ExpectProblem(response, HttpStatusCode.BadRequest, ProblemTypes.MalformedRequest);
        problem.ShouldBeCompleteProblem(400);
    }
}
