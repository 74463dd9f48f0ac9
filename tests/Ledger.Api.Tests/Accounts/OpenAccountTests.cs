using System.Net;
using System.Text.Json;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Testing;

namespace Ledger.Api.Tests.Accounts;

[Collection(ApiFixtureGroup.Name)]
public sealed class OpenAccountTests(LedgerApiFactory factory)
{
    private readonly Teller _teller = new(factory.CreateClient());

    [Fact]
    public async Task ValidRequest_Returns201WithViewAndLocation()
    {
        using var response = await _teller.OpenAccountRawAsync(new { owner = "Ada Lovelace", currency = "EUR", overdraftLimit = "100.5" });

        var view = await Teller.Expect(response, HttpStatusCode.Created);
        var accountId = view.GetProperty("accountId").GetGuid();
        accountId.Should().NotBeEmpty();
        response.Headers.Location.Should().Be(new Uri($"/api/v1/accounts/{accountId}", UriKind.Relative));
        response.Content.Headers.ContentType?.MediaType.Should().Be("application/json");
        view.GetProperty("owner").GetString().Should().Be("Ada Lovelace");
        view.GetProperty("currency").GetString().Should().Be("EUR");
        view.GetProperty("balance").GetRawText().Should().Be("0.00");
        view.GetProperty("overdraftLimit").GetRawText().Should().Be("100.50");
        view.GetProperty("status").GetString().Should().Be("open");
        view.GetProperty("version").GetInt64().Should().Be(1);
        view.GetProperty("createdAt").ShouldBeUtcTimestamp();
        view.GetProperty("updatedAt").ShouldBeUtcTimestamp();
        view.GetProperty("updatedAt").GetDateTimeOffset().Should().Be(view.GetProperty("createdAt").GetDateTimeOffset());
        view.EnumerateObject().Select(property => property.Name).Should().BeEquivalentTo(
            "accountId", "owner", "currency", "balance", "available", "held", "overdraftLimit", "status", "version", "createdAt", "updatedAt");
    }

    [Fact]
    public async Task Opened_IsReadableAtLocation()
    {
        using var response = await _teller.OpenAccountRawAsync(new { owner = "Grace Hopper", currency = "USD" });
        var created = await Teller.Expect(response, HttpStatusCode.Created);

        using var read = await _teller.GetAsync(response.Headers.Location!.OriginalString);
        var view = await Teller.Expect(read, HttpStatusCode.OK);

        view.WithoutSequence().Should().Be(created.GetRawText());
    }

    [Fact]
    public async Task WithoutOverdraftLimit_DefaultsToZero()
    {
        using var response = await _teller.OpenAccountRawAsync(new { owner = "Ada", currency = "EUR" });

        var view = await Teller.Expect(response, HttpStatusCode.Created);
        view.GetProperty("overdraftLimit").GetRawText().Should().Be("0.00");
    }

    [Fact]
    public async Task ClientSuppliedAccountId_IsUsed()
    {
        var accountId = Guid.NewGuid();

        using var response = await _teller.OpenAccountRawAsync(new { accountId, owner = "Ada", currency = "EUR" });

        var view = await Teller.Expect(response, HttpStatusCode.Created);
        view.GetProperty("accountId").GetGuid().Should().Be(accountId);
        response.Headers.Location!.OriginalString.Should().Be($"/api/v1/accounts/{accountId}");
        (await _teller.GetAccountAsync(accountId)).GetProperty("owner").GetString().Should().Be("Ada");
    }

    [Theory]
    [InlineData("JPY", "0")]
    [InlineData("EUR", "0.00")]
    [InlineData("BHD", "0.000")]
    [InlineData("KWD", "0.000")]
    [InlineData("CLF", "0.0000")]
    public async Task KnownCurrency_IsAcceptedWithItsDigits(string currency, string zero)
    {
        using var response = await _teller.OpenAccountRawAsync(new { owner = "Ada", currency });

        var view = await Teller.Expect(response, HttpStatusCode.Created);
        view.GetProperty("currency").GetString().Should().Be(currency);
        view.GetProperty("balance").GetRawText().Should().Be(zero);
        view.GetProperty("overdraftLimit").GetRawText().Should().Be(zero);
    }

    [Fact]
    public async Task OwnerWithSurroundingSpaces_IsStoredTrimmed()
    {
        using var response = await _teller.OpenAccountRawAsync(new { owner = "  Ada  ", currency = "EUR" });

        var view = await Teller.Expect(response, HttpStatusCode.Created);
        view.GetProperty("owner").GetString().Should().Be("Ada");
        (await _teller.GetAccountAsync(view.GetProperty("accountId").GetGuid())).GetProperty("owner").GetString().Should().Be("Ada");
    }

    [Fact]
    public async Task OwnerOf200Characters_IsAccepted()
    {
        var owner = new string('a', 200);

        using var response = await _teller.OpenAccountRawAsync(new { owner, currency = "EUR" });

        (await Teller.Expect(response, HttpStatusCode.Created)).GetProperty("owner").GetString().Should().Be(owner);
    }

    [Fact]
    public async Task OwnerOf200CharactersAfterTrimming_IsAccepted()
    {
        using var response = await _teller.OpenAccountRawAsync(new { owner = $"  {new string('a', 200)}  ", currency = "EUR" });

        (await Teller.Expect(response, HttpStatusCode.Created)).GetProperty("owner").GetString().Should().HaveLength(200);
    }

    [Fact]
    public async Task OwnerOf201Characters_IsRejected()
    {
        using var response = await _teller.OpenAccountRawAsync(new { owner = new string('a', 201), currency = "EUR" });

        await Teller.ExpectValidationError(response, "owner");
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    public async Task OwnerEmptyOrBlank_IsRejected(string? owner)
    {
        using var response = await _teller.OpenAccountRawAsync(new { owner, currency = "EUR" });

        await Teller.ExpectValidationError(response, "owner");
    }

    [Fact]
    public async Task OwnerMissing_IsRejected()
    {
        using var response = await _teller.OpenAccountRawAsync(new { currency = "EUR" });

        await Teller.ExpectValidationError(response, "owner");
    }

    [Theory]
    [InlineData("Ada\u0007Lovelace")]
    [InlineData("Ada\u0000")]
    [InlineData("Ada\nLovelace")]
    [InlineData("Ada\u007FLovelace")]
    [InlineData("Ada\u0085Lovelace")]
    public async Task OwnerWithControlCharacter_IsRejected(string owner)
    {
        using var response = await _teller.OpenAccountRawAsync(new { owner, currency = "EUR" });

        await Teller.ExpectValidationError(response, "owner");
    }

    [Theory]
    [InlineData("eur")]
    [InlineData("Eur")]
    [InlineData("XYZ")]
    [InlineData("EURO")]
    [InlineData("")]
    [InlineData(" EUR")]
    [InlineData("XAU")]
    [InlineData(null)]
    public async Task UnknownCurrency_IsRejected(string? currency)
    {
        using var response = await _teller.OpenAccountRawAsync(new { owner = "Ada", currency });

        await Teller.ExpectValidationError(response, "currency");
    }

    [Fact]
    public async Task CurrencyMissing_IsRejected()
    {
        using var response = await _teller.OpenAccountRawAsync(new { owner = "Ada" });

        await Teller.ExpectValidationError(response, "currency");
    }

    [Theory]
    [InlineData("EUR", "-1")]
    [InlineData("EUR", "\"-0.01\"")]
    [InlineData("EUR", "\"12.345\"")]
    [InlineData("EUR", "12.345")]
    [InlineData("JPY", "\"5.5\"")]
    [InlineData("BHD", "\"1.2345\"")]
    [InlineData("EUR", "\"abc\"")]
    [InlineData("EUR", "\"1e3\"")]
    [InlineData("EUR", "\"1,000.00\"")]
    [InlineData("EUR", "1000000000000.01")]
    [InlineData("EUR", "\"1000000000000.01\"")]
    public async Task InvalidOverdraftLimit_IsRejected(string currency, string overdraftLimit)
    {
        using var response = await _teller.PostJsonAsync(Teller.AccountsPath,
            $$"""{"owner":"Ada","currency":"{{currency}}","overdraftLimit":{{overdraftLimit}}}""");

        await Teller.ExpectValidationError(response, "overdraftLimit");
    }

    [Theory]
    [InlineData("EUR", "\"1000000000000.00\"", "1000000000000.00")]
    [InlineData("EUR", "\"12.340\"", "12.34")]
    [InlineData("EUR", "0", "0.00")]
    [InlineData("JPY", "5", "5")]
    [InlineData("BHD", "\"1.234\"", "1.234")]
    public async Task ValidOverdraftLimit_IsStoredWithCurrencyDigits(string currency, string overdraftLimit, string stored)
    {
        using var response = await _teller.PostJsonAsync(Teller.AccountsPath,
            $$"""{"owner":"Ada","currency":"{{currency}}","overdraftLimit":{{overdraftLimit}}}""");

        var view = await Teller.Expect(response, HttpStatusCode.Created);
        view.GetProperty("overdraftLimit").GetRawText().Should().Be(stored);
    }

    [Fact]
    public async Task EmptyUuidAccountId_IsRejected()
    {
        using var response = await _teller.OpenAccountRawAsync(new { accountId = Guid.Empty, owner = "Ada", currency = "EUR" });

        await Teller.ExpectValidationError(response, "accountId");
    }

    [Fact]
    public async Task SameAccountIdAndContentAgain_ReplaysFirstResponse()
    {
        var body = new { accountId = Guid.NewGuid(), owner = "Ada", currency = "EUR", overdraftLimit = "10.00" };
        using var first = await _teller.OpenAccountRawAsync(body);
        var firstView = await Teller.Expect(first, HttpStatusCode.Created);

        using var again = await _teller.OpenAccountRawAsync(body);

        var againView = await Teller.Expect(again, HttpStatusCode.Created);
        againView.GetRawText().Should().Be(firstView.GetRawText());
        again.Headers.Location.Should().Be(first.Headers.Location);
    }

    [Fact]
    public async Task ReplayAfterDeposit_ReturnsFirstResponseAndChangesNothing()
    {
        var body = new { accountId = Guid.NewGuid(), owner = "Ada", currency = "EUR" };
        using var first = await _teller.OpenAccountRawAsync(body);
        var firstView = await Teller.Expect(first, HttpStatusCode.Created);
        await _teller.DepositAsync(body.accountId, "7.00");

        using var again = await _teller.OpenAccountRawAsync(body);

        (await Teller.Expect(again, HttpStatusCode.Created)).GetRawText().Should().Be(firstView.GetRawText());
        (await _teller.StateAsync(body.accountId)).Should().Be(("7.00", 2L));
    }

    [Theory]
    [InlineData("Grace", "EUR", "10.00")]
    [InlineData("Ada", "USD", "10.00")]
    [InlineData("Ada", "EUR", "10.01")]
    [InlineData("Ada", "EUR", null)]
    public async Task SameAccountIdWithDifferentContent_IsConflict(string owner, string currency, string? overdraftLimit)
    {
        var accountId = Guid.NewGuid();
        using var first = await _teller.OpenAccountRawAsync(new { accountId, owner = "Ada", currency = "EUR", overdraftLimit = "10.00" });
        var firstView = await Teller.Expect(first, HttpStatusCode.Created);

        using var again = await _teller.OpenAccountRawAsync(new { accountId, owner, currency, overdraftLimit });

        await Teller.ExpectProblem(again, HttpStatusCode.Conflict, ProblemTypes.AccountAlreadyExists);
        (await _teller.GetAccountAsync(accountId)).WithoutSequence().Should().Be(firstView.GetRawText());
    }

    [Fact]
    public async Task RejectedRequest_CreatesNoAccount()
    {
        var accountId = Guid.NewGuid();
        using var rejected = await _teller.OpenAccountRawAsync(new { accountId, owner = "Ada", currency = "eur" });
        await Teller.ExpectValidationError(rejected, "currency");

        using var read = await _teller.GetAsync($"/api/v1/accounts/{accountId}");

        await Teller.ExpectProblem(read, HttpStatusCode.NotFound, ProblemTypes.AccountNotFound);
    }

    [Fact]
    public async Task SeveralInvalidFields_AreAllNamed()
    {
        using var response = await _teller.OpenAccountRawAsync(new { owner = "", currency = "eur", overdraftLimit = -1 });

        var problem = await Teller.ExpectValidationError(response, "owner");
        problem.GetProperty("errors").EnumerateObject().Select(field => field.Name)
            .Should().BeEquivalentTo("owner", "currency", "overdraftLimit");
    }

    [Fact]
    public async Task ResponseUsesCamelCase_NoPascalCaseMembers()
    {
        using var response = await _teller.OpenAccountRawAsync(new { owner = "Ada", currency = "EUR" });

        var view = await Teller.Expect(response, HttpStatusCode.Created);
        view.EnumerateObject().Should().OnlyContain(property => char.IsLower(property.Name[0]));
        view.GetProperty("version").ValueKind.Should().Be(JsonValueKind.Number);
    }
}
