using System.Net;
using System.Text;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Testing;

namespace Ledger.Api.Tests.Http;

/// <summary>The shape of errors across endpoints: every failure is an RFC 9457 problem with a stable type.</summary>
[Collection(ApiFixtureGroup.Name)]
public sealed class ProblemTests(LedgerApiFactory factory)
{
    private readonly Teller _teller = new(factory.CreateClient());

    [Theory]
    [InlineData("{\"owner\":")]
    [InlineData("not json")]
    [InlineData("{\"owner\":\"Ada\",}")]
    [InlineData("{\"owner\":\"Ada\" \"currency\":\"EUR\"}")]
    [InlineData("{'owner':'Ada','currency':'EUR'}")]
    public async Task MalformedJson_IsMalformedRequest(string body)
    {
        using var response = await _teller.PostJsonAsync(Teller.AccountsPath, body);

        var problem = await Teller.ExpectProblem(response, HttpStatusCode.BadRequest, ProblemTypes.MalformedRequest);
        problem.ShouldBeCompleteProblem(400);
        problem.GetProperty("errors").EnumerateObject().Should().NotBeEmpty();
    }

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    public async Task MissingBody_IsMalformedRequest(string body)
    {
        using var response = await _teller.PostJsonAsync(Teller.AccountsPath, body);

        var problem = await Teller.ExpectProblem(response, HttpStatusCode.BadRequest, ProblemTypes.MalformedRequest);
        problem.ShouldBeCompleteProblem(400);
    }

    [Fact]
    public async Task MalformedJson_HasNoEffect()
    {
        var accountId = await _teller.OpenFundedAccountAsync("5.00");

        using var response = await _teller.DepositRawAsync(accountId, "{\"amount\":\"1.00\"");

        await Teller.ExpectProblem(response, HttpStatusCode.BadRequest, ProblemTypes.MalformedRequest);
        (await _teller.StateAsync(accountId)).Should().Be(("5.00", 2L));
    }

    [Theory]
    [InlineData("accounts")]
    [InlineData("deposits")]
    [InlineData("withdrawals")]
    [InlineData("transfers")]
    public async Task UnknownField_IsRejectedAndNamed(string endpoint)
    {
        var accountId = await _teller.OpenFundedAccountAsync("10.00");
        var otherAccountId = await _teller.OpenAccountAsync();
        var (path, body) = endpoint switch
        {
            "accounts" => (Teller.AccountsPath, """{"owner":"Ada","currency":"EUR","nickname":"A"}"""),
            "transfers" => (Teller.TransfersPath,
                $$"""{"fromAccountId":"{{accountId}}","toAccountId":"{{otherAccountId}}","amount":"1","nickname":"A"}"""),
            _ => ($"{Teller.AccountsPath}/{accountId}/{endpoint}", """{"amount":"1","nickname":"A"}"""),
        };

        using var response = await _teller.PostJsonAsync(path, body);

        var problem = await Teller.ExpectFieldProblem(response, ProblemTypes.MalformedRequest, "nickname");
        problem.ShouldBeCompleteProblem(400);
        (await _teller.StateAsync(accountId)).Should().Be(("10.00", 2L));
        (await _teller.StateAsync(otherAccountId)).Should().Be(("0.00", 1L));
    }

    [Theory]
    [InlineData("""{"owner":5,"currency":"EUR"}""", "owner")]
    [InlineData("""{"owner":"Ada","currency":true}""", "currency")]
    [InlineData("""{"owner":["Ada"],"currency":"EUR"}""", "owner")]
    [InlineData("""{"accountId":5,"owner":"Ada","currency":"EUR"}""", "accountId")]
    [InlineData("""{"accountId":"not-a-uuid","owner":"Ada","currency":"EUR"}""", "accountId")]
    public async Task WrongJsonTypeForAccountField_IsRejectedAndNamed(string body, string field)
    {
        using var response = await _teller.PostJsonAsync(Teller.AccountsPath, body);

        var problem = await Teller.ExpectFieldProblem(response, ProblemTypes.MalformedRequest, field);
        problem.ShouldBeCompleteProblem(400);
    }

    [Theory]
    [InlineData("fromAccountId")]
    [InlineData("toAccountId")]
    [InlineData("transferId")]
    public async Task NonUuidInTransferField_IsRejectedAndNamed(string field)
    {
        var fromAccountId = await _teller.OpenFundedAccountAsync("10.00");
        var toAccountId = await _teller.OpenAccountAsync();
        var ids = new Dictionary<string, string>
        {
            ["transferId"] = Guid.NewGuid().ToString(),
            ["fromAccountId"] = fromAccountId.ToString(),
            ["toAccountId"] = toAccountId.ToString(),
        };
        ids[field] = "abc";

        using var response = await _teller.PostJsonAsync(Teller.TransfersPath,
            $$"""{"transferId":"{{ids["transferId"]}}","fromAccountId":"{{ids["fromAccountId"]}}","toAccountId":"{{ids["toAccountId"]}}","amount":"1"}""");

        await Teller.ExpectFieldProblem(response, ProblemTypes.MalformedRequest, field);
        (await _teller.StateAsync(fromAccountId)).Should().Be(("10.00", 2L));
    }

    [Fact]
    public async Task WrongJsonTypeForReference_IsRejectedAndNamed()
    {
        var accountId = await _teller.OpenAccountAsync();

        using var response = await _teller.DepositRawAsync(accountId, """{"amount":"1","reference":5}""");

        await Teller.ExpectFieldProblem(response, ProblemTypes.MalformedRequest, "reference");
        (await _teller.StateAsync(accountId)).Should().Be(("0.00", 1L));
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/xml")]
    public async Task WrongContentType_IsProblemJson(string mediaType)
    {
        using var content = new StringContent("""{"owner":"Ada","currency":"EUR"}""", Encoding.UTF8, mediaType);

        using var response = await _teller.Http.PostAsync(new Uri(Teller.AccountsPath, UriKind.Relative), content);

        var body = await Teller.Expect(response, HttpStatusCode.UnsupportedMediaType);
        response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json");
        body.ShouldBeCompleteProblem(415);
    }

    [Theory]
    [InlineData("validation-error")]
    [InlineData("malformed-request")]
    [InlineData("malformed-if-match")]
    [InlineData("account-not-found")]
    [InlineData("transfer-not-found")]
    [InlineData("account-already-exists")]
    [InlineData("transfer-already-exists")]
    [InlineData("version-mismatch")]
    [InlineData("insufficient-funds")]
    [InlineData("currency-mismatch")]
    [InlineData("same-account")]
    public async Task EveryProblem_HasTypeTitleStatusDetail(string scenario)
    {
        using var response = await ProvokeAsync(scenario);

        var body = await Teller.Expect(response, response.StatusCode);
        ((int)response.StatusCode).Should().BeInRange(400, 499);
        response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json");
        body.ShouldBeCompleteProblem((int)response.StatusCode);
        var expectedSlug = scenario == "malformed-if-match" ? "validation-error" : scenario;
        body.GetProperty("type").GetString().Should().Be($"/problems/{expectedSlug}");
    }

    private async Task<HttpResponseMessage> ProvokeAsync(string scenario)
    {
        var accountId = await _teller.OpenFundedAccountAsync("10.00");
        switch (scenario)
        {
            case "validation-error":
                return await _teller.OpenAccountRawAsync(new { owner = "Ada", currency = "eur" });
            case "malformed-request":
                return await _teller.PostJsonAsync(Teller.AccountsPath, "{");
            case "malformed-if-match":
                return await _teller.DepositRawAsync(accountId, """{"amount":"1"}""", ("If-Match", "garbage"));
            case "account-not-found":
                return await _teller.DepositRawAsync(Guid.NewGuid(), """{"amount":"1"}""");
            case "transfer-not-found":
                return await _teller.GetAsync($"{Teller.TransfersPath}/{Guid.NewGuid()}");
            case "account-already-exists":
                // The funded account exists under this id with another owner.
                return await _teller.OpenAccountRawAsync(new { accountId, owner = "Grace", currency = "EUR" });
            case "transfer-already-exists":
                var transferId = Guid.NewGuid();
                var toAccountId = await _teller.OpenAccountAsync();
                using (var first = await _teller.TransferRawAsync(new { transferId, fromAccountId = accountId, toAccountId, amount = "1" }))
                {
                    await Teller.Expect(first, HttpStatusCode.Created);
                }

                return await _teller.TransferRawAsync(new { transferId, fromAccountId = accountId, toAccountId, amount = "2" });
            case "version-mismatch":
                return await _teller.DepositRawAsync(accountId, """{"amount":"1"}""", ("If-Match", "\"1\""));
            case "insufficient-funds":
                return await _teller.WithdrawRawAsync(accountId, """{"amount":"10.01"}""");
            case "currency-mismatch":
                var dollarAccountId = await _teller.OpenAccountAsync("USD");
                return await _teller.TransferRawAsync(new { fromAccountId = accountId, toAccountId = dollarAccountId, amount = "1" });
            case "same-account":
                return await _teller.TransferRawAsync(new { fromAccountId = accountId, toAccountId = accountId, amount = "1" });
            default:
                throw new ArgumentOutOfRangeException(nameof(scenario), scenario, "No such scenario.");
        }
    }
}
