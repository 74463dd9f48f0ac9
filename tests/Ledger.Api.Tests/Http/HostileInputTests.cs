using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Contracts;
using Ledger.Testing;

namespace Ledger.Api.Tests.Http;

/// <summary>Input an attacker or a broken client sends: each is a 4xx problem naming what is wrong, never a 500 or a silent guess.</summary>
[Collection(ApiFixtureGroup.Name)]
public sealed class HostileInputTests(LedgerApiFactory factory)
{
    private readonly Teller _teller = new(factory.CreateClient());

    private readonly Auditor _auditor = new(factory.CreateClient());

    private readonly Analyst _analyst = new(factory.CreateClient());

    [Theory]
    [InlineData("deposits")]
    [InlineData("withdrawals")]
    public async Task EmptyUuidAsAccountInPath_IsRejectedAndNamed(string movement)
    {
        using var response = await _teller.PostJsonAsync($"{Teller.AccountsPath}/{Guid.Empty}/{movement}", """{"amount":"1.00"}""");

        var problem = await Teller.ExpectFieldProblem(response, ProblemTypes.Validation, "accountId");
        problem.ShouldBeCompleteProblem(400);
    }

    [Theory]
    [InlineData("fromAccountId")]
    [InlineData("toAccountId")]
    public async Task EmptyUuidAsTransferAccount_IsRejectedAndNamed(string field)
    {
        var fromAccountId = await _teller.OpenFundedAccountAsync("10.00");
        var toAccountId = await _teller.OpenAccountAsync();
        var ids = new Dictionary<string, Guid> { ["fromAccountId"] = fromAccountId, ["toAccountId"] = toAccountId };
        ids[field] = Guid.Empty;

        using var response = await _teller.TransferRawAsync(new { fromAccountId = ids["fromAccountId"], toAccountId = ids["toAccountId"], amount = "1" });

        await Teller.ExpectFieldProblem(response, ProblemTypes.Validation, field);
        (await _teller.StateAsync(fromAccountId)).Should().Be(("10.00", 2L));
    }

    [Fact]
    public async Task StatementFromTheFirstInstant_HasNoOpeningMovements()
    {
        var accountId = await _teller.OpenFundedAccountAsync("10.00");

        using var response = await _auditor.GetAsync($"{Teller.AccountsPath}/{accountId}/statement?from=0001-01-01T00:00:00Z");

        var statement = await Teller.Expect(response, HttpStatusCode.OK);
        statement.GetProperty("openingBalance").GetDecimal().Should().Be(0m);
        statement.GetProperty("closingBalance").GetDecimal().Should().Be(10m);
    }

    [Theory]
    [InlineData("statement?from=9999-12-31T23:59:59.9999999Z")]
    [InlineData("statement?to=9999-12-31T23:59:59.9999999Z")]
    [InlineData("statement?from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59.9999999Z")]
    [InlineData("history?from=9999-12-31T23:59:59.9999999Z")]
    [InlineData("history?from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59.9999999Z")]
    [InlineData("?asOf=0001-01-01T00:00:00Z")]
    [InlineData("?asOf=9999-12-31T23:59:59.9999999Z")]
    public async Task InstantsAtTheEndsOfTime_AreAnsweredWithoutAServerError(string query)
    {
        var accountId = await _teller.OpenFundedAccountAsync("10.00");

        using var response = await _auditor.GetAsync($"{Teller.AccountsPath}/{accountId}/{query}".Replace("/?", "?", StringComparison.Ordinal));

        ((int)response.StatusCode).Should().BeOneOf([200, 400, 404], await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("to=0001-01-01")]
    [InlineData("from=0001-01-01&to=0001-01-01")]
    [InlineData("from=9999-12-31&to=9999-12-31")]
    [InlineData("from=9999-12-31")]
    public async Task DailyVolumesAtTheEndsOfTime_AreAnsweredWithoutAServerError(string query)
    {
        using var response = await _analyst.GetAsync($"/api/v1/reports/daily-volumes?{query}");

        ((int)response.StatusCode).Should().BeOneOf([200, 400], await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("""{"amount":"1.00","amount":"2.00"}""", "amount")]
    [InlineData("""{"amount":"1.00","Amount":"2.00"}""", "amount")]
    [InlineData("""{"amount":"1.00","reference":"a","REFERENCE":"b"}""", "reference")]
    public async Task DuplicateKeys_AreRejectedAndNothingIsBooked(string body, string field)
    {
        var accountId = await _teller.OpenFundedAccountAsync("5.00");

        using var response = await _teller.DepositRawAsync(accountId, body);

        var problem = await Teller.ExpectFieldProblem(response, ProblemTypes.MalformedRequest, field);
        problem.ShouldBeCompleteProblem(400);
        (await _teller.StateAsync(accountId)).Should().Be(("5.00", 2L));
    }

    [Theory]
    [InlineData("\u200B")]
    [InlineData("\uFEFF")]
    [InlineData("\u202E")]
    [InlineData("\u2066")]
    [InlineData("\u00AD")]
    public async Task FormatCharactersInReference_AreRejected(string character)
    {
        var accountId = await _teller.OpenFundedAccountAsync("5.00");

        using var response = await _teller.DepositRawAsync(accountId, Teller.Json(new { amount = "1.00", reference = $"Invoice{character}42" }));

        await Teller.ExpectFieldProblem(response, ProblemTypes.Validation, "reference");
        (await _teller.StateAsync(accountId)).Should().Be(("5.00", 2L));
    }

    [Theory]
    [InlineData("\u200B")]
    [InlineData("\uFEFF")]
    [InlineData("\u202E")]
    public async Task FormatCharactersInOwner_AreRejected(string character)
    {
        using var response = await _teller.OpenAccountRawAsync(new { owner = $"Ada{character}Lovelace", currency = "EUR" });

        await Teller.ExpectFieldProblem(response, ProblemTypes.Validation, "owner");
    }

    [Theory]
    [InlineData(17)]
    [InlineData(40)]
    [InlineData(5000)]
    public async Task NestingDeeperThanTheLimit_IsMalformedAndNothingIsBooked(int depth)
    {
        var accountId = await _teller.OpenFundedAccountAsync("5.00");
        var nested = new string('[', depth - 1) + new string(']', depth - 1);

        using var response = await _teller.DepositRawAsync(accountId, $$"""{"amount":{{nested}}}""");

        // Below the reader's default depth (64) this would be an unreadable amount (validation-error); the limit is 16.
        var problem = await Teller.ExpectProblem(response, HttpStatusCode.BadRequest, ProblemTypes.MalformedRequest);
        problem.ShouldBeCompleteProblem(400);
        (await _teller.StateAsync(accountId)).Should().Be(("5.00", 2L));
    }

    [Fact]
    public async Task NestingWithinTheLimit_IsStillReadAsAnUnreadableAmount()
    {
        var accountId = await _teller.OpenFundedAccountAsync("5.00");

        using var response = await _teller.DepositRawAsync(accountId, """{"amount":[[[[]]]]}""");

        await Teller.ExpectFieldProblem(response, ProblemTypes.Validation, "amount");
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("\"NaN\"")]
    [InlineData("\"Infinity\"")]
    [InlineData("1e400")]
    [InlineData("-1e400")]
    [InlineData("1e-400")]
    [InlineData("1E+2147483648")]
    [InlineData("79228162514264337593543950336")]
    [InlineData("\"79228162514264337593543950336\"")]
    [InlineData("0.1e1000000000")]
    [InlineData("1.001")]
    [InlineData("\"1.001\"")]
    [InlineData("1.0000000000000000000000000001")]
    public async Task NumbersThatAreNotPlainAmounts_AreRejectedAndNothingIsBooked(string amount)
    {
        var accountId = await _teller.OpenFundedAccountAsync("5.00");

        using var response = await _teller.DepositRawAsync(accountId, $$"""{"amount":{{amount}}}""");

        var problem = await Teller.Expect(response, HttpStatusCode.BadRequest);
        problem.ShouldBeCompleteProblem(400);
        (await _teller.StateAsync(accountId)).Should().Be(("5.00", 2L));
    }

    [Theory]
    [InlineData("1.5")]
    [InlineData("\"0.1\"")]
    public async Task FractionalDigitsBeyondTheCurrency_AreRejected(string amount)
    {
        var accountId = await _teller.OpenAccountAsync("JPY");

        using var response = await _teller.DepositRawAsync(accountId, $$"""{"amount":{{amount}}}""");

        await Teller.ExpectFieldProblem(response, ProblemTypes.Validation, "amount");
        (await _teller.StateAsync(accountId)).Should().Be(("0", 1L));
    }

    [Theory]
    [InlineData("\\u0000")]
    [InlineData("\\u0007")]
    [InlineData("\\n")]
    [InlineData("\\t")]
    [InlineData("\\u007F")]
    [InlineData("\\u0085")]
    [InlineData("\\u009B")]
    public async Task ControlCharactersInText_AreRejected(string escaped)
    {
        var accountId = await _teller.OpenFundedAccountAsync("5.00");

        using var deposit = await _teller.DepositRawAsync(accountId, $$"""{"amount":"1.00","reference":"Invoice{{escaped}}42"}""");
        using var open = await _teller.PostJsonAsync(Teller.AccountsPath, $$"""{"owner":"Ada{{escaped}}Lovelace","currency":"EUR"}""");

        await Teller.ExpectFieldProblem(deposit, ProblemTypes.Validation, "reference");
        await Teller.ExpectFieldProblem(open, ProblemTypes.Validation, "owner");
        (await _teller.StateAsync(accountId)).Should().Be(("5.00", 2L));
    }

    [Theory]
    [InlineData("\\ud800")]
    [InlineData("\\udc00")]
    [InlineData("a\\ud800b")]
    [InlineData("\\udc00\\ud800")]
    public async Task LoneSurrogatesInText_AreRejectedAndNothingIsBooked(string escaped)
    {
        var accountId = await _teller.OpenFundedAccountAsync("5.00");

        using var deposit = await _teller.DepositRawAsync(accountId, $$"""{"amount":"1.00","reference":"{{escaped}}"}""");
        using var open = await _teller.PostJsonAsync(Teller.AccountsPath, $$"""{"owner":"{{escaped}}","currency":"EUR"}""");

        (await Teller.Expect(deposit, HttpStatusCode.BadRequest)).ShouldBeCompleteProblem(400);
        (await Teller.Expect(open, HttpStatusCode.BadRequest)).ShouldBeCompleteProblem(400);
        (await _teller.StateAsync(accountId)).Should().Be(("5.00", 2L));
    }

    [Fact]
    public async Task InvalidUtf8_IsMalformedAndNothingIsBooked()
    {
        var accountId = await _teller.OpenFundedAccountAsync("5.00");
        using var content = new ByteArrayContent([.. "{\"amount\":\"1.00\",\"reference\":\""u8, 0xC3, 0x28, .. "\"}"u8]);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json");

        using var response = await _teller.Http.PostAsync(new Uri($"{Teller.AccountsPath}/{accountId}/deposits", UriKind.Relative), content);

        await Teller.ExpectProblem(response, HttpStatusCode.BadRequest, ProblemTypes.MalformedRequest);
        (await _teller.StateAsync(accountId)).Should().Be(("5.00", 2L));
    }

    public static TheoryData<string> UnusableIdempotencyKeys => new()
    {
        "key\twith-tab",
        "clé",
        "two,values",
        new string('k', 256),
    };

    [Theory]
    [MemberData(nameof(UnusableIdempotencyKeys))]
    public async Task UnusableIdempotencyKey_TooLongOrOutsidePrintableAscii_IsRejectedAndNothingIsBooked(string key)
    {
        var accountId = await _teller.OpenFundedAccountAsync("5.00");
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"{Teller.AccountsPath}/{accountId}/deposits", UriKind.Relative))
        {
            Content = new StringContent("""{"amount":"1.00"}""", Encoding.UTF8, "application/json"),
        };
        if (key == "two,values")
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", ["first", "second"]).Should().BeTrue();
        }
        else
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", key).Should().BeTrue();
        }

        using var response = await _teller.Http.SendAsync(request);

        await Teller.ExpectFieldProblem(response, ProblemTypes.Validation, "Idempotency-Key");
        (await _teller.StateAsync(accountId)).Should().Be(("5.00", 2L));
    }

    /// <summary>
    /// Over a real socket: the in-memory test server drops a header whose value is empty before the API sees it, Kestrel
    /// does not, so this request is written byte by byte to the API listening on loopback.
    /// </summary>
    [Fact]
    public async Task EmptyIdempotencyKeyOnTheWire_IsRejectedAndNothingIsBooked()
    {
        using var kestrel = new LedgerApiFactory();
        kestrel.UseKestrel(0);
        kestrel.StartServer();
        var teller = new Teller(kestrel.CreateClient());
        var accountId = await teller.OpenFundedAccountAsync("5.00");
        var address = teller.Http.BaseAddress!;
        const string body = """{"amount":"1.00"}""";
        var request = $"POST {Teller.AccountsPath}/{accountId}/deposits HTTP/1.1\r\nHost: {address.Authority}\r\n" +
                      $"Authorization: Bearer {TestTokens.For(Roles.Teller)}\r\nContent-Type: application/json\r\n" +
                      $"Idempotency-Key: \r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}";

        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync(address.Host, address.Port);
        await using var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var response = await reader.ReadToEndAsync();

        response.Should().StartWith("HTTP/1.1 400 ", response);
        response.Should().Contain(ProblemTypes.Validation).And.Contain("Idempotency-Key");
        (await teller.StateAsync(accountId)).Should().Be(("5.00", 2L));
    }

    [Theory]
    [InlineData("{00000000-0000-0000-0000-000000000000}")]
    [InlineData("00000000000000000000000000000000")]
    [InlineData("(00000000-0000-0000-0000-000000000000)")]
    public async Task EmptyUuidInAnotherFormatInPath_IsRejected(string id)
    {
        using var response = await _teller.PostJsonAsync($"{Teller.AccountsPath}/{id}/deposits", """{"amount":"1.00"}""");

        ((int)response.StatusCode).Should().Be(400, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task EmojiAndAccents_AreStillAccepted()
    {
        using var response = await _teller.OpenAccountRawAsync(new { owner = "Zoë Ångström 👩‍💼", currency = "EUR" });

        await Teller.Expect(response, HttpStatusCode.Created);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("application/problem+json")]
    [InlineData("application/merge-patch+json")]
    [InlineData("application/json; charset=latin1")]
    [InlineData("application/json; charset=utf-16")]
    [InlineData("text/plain")]
    public async Task BodyThatIsNotUtf8Json_IsUnsupportedMediaType(string? contentType)
    {
        var body = """{"owner":"Ada","currency":"EUR"}""";
        var encoding = contentType?.Contains("utf-16", StringComparison.Ordinal) == true ? Encoding.Unicode : Encoding.UTF8;
        using var content = new ByteArrayContent(encoding.GetBytes(body));
        content.Headers.ContentType = contentType is null ? null : MediaTypeHeaderValue.Parse(contentType);

        using var response = await _teller.Http.PostAsync(new Uri(Teller.AccountsPath, UriKind.Relative), content);

        var problem = await Teller.ExpectProblem(response, HttpStatusCode.UnsupportedMediaType, ProblemTypes.UnsupportedMediaType);
        problem.ShouldBeCompleteProblem(415);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/json; charset=UTF-8")]
    public async Task Utf8Json_IsAccepted(string contentType)
    {
        using var content = new StringContent("""{"owner":"Ada","currency":"EUR"}""", Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);

        using var response = await _teller.Http.PostAsync(new Uri(Teller.AccountsPath, UriKind.Relative), content);

        await Teller.Expect(response, HttpStatusCode.Created);
    }
}
