using System.Net;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Testing;
using Npgsql;

namespace Ledger.Api.Tests.Accounts;

[Collection(ApiFixtureGroup.Name)]
public sealed class IdempotencyTests(LedgerApiFactory factory)
{
    private readonly Teller _teller = new(factory.CreateClient());

    private static (string, string) Key(string key) => ("Idempotency-Key", key);

    private static string NewKey() => $"key-{Guid.NewGuid():N}";

    [Fact]
    public async Task SameKeySameBody_ReplaysFirstResponseAndTakesEffectOnce()
    {
        var id = await _teller.OpenAccountAsync();
        var key = NewKey();

        using var first = await _teller.PostJsonAsync($"/api/v1/accounts/{id}/deposits", """{ "amount": "25.00" }""", Key(key));
        using var second = await _teller.PostJsonAsync($"/api/v1/accounts/{id}/deposits", """{ "amount": "25.00" }""", Key(key));

        var firstBody = await Teller.Expect(first, HttpStatusCode.OK);
        var secondBody = await Teller.Expect(second, HttpStatusCode.OK);
        first.Headers.Contains("Idempotency-Replayed").Should().BeFalse();
        second.Headers.GetValues("Idempotency-Replayed").Should().Equal("true");
        secondBody.GetRawText().Should().Be(firstBody.GetRawText());
        (await _teller.BalanceAsync(id)).Should().Be(25.00m);
    }

    [Fact]
    public async Task SameKeyWhitespaceOnlyDifference_IsStillAReplay()
    {
        var id = await _teller.OpenAccountAsync();
        var key = NewKey();

        using var first = await _teller.PostJsonAsync($"/api/v1/accounts/{id}/deposits", """{"amount":"1.00"}""", Key(key));
        using var second = await _teller.PostJsonAsync($"/api/v1/accounts/{id}/deposits", "{ \"amount\" : \"1.00\"\n}", Key(key));

        await Teller.Expect(first, HttpStatusCode.OK);
        await Teller.Expect(second, HttpStatusCode.OK);
        second.Headers.GetValues("Idempotency-Replayed").Should().Equal("true");
        (await _teller.BalanceAsync(id)).Should().Be(1.00m);
    }

    [Fact]
    public async Task SameKeyOnOpenAccount_ReplaysStatusLocationAndBody()
    {
        var key = NewKey();
        const string body = """{ "owner": "Grace Hopper", "currency": "USD" }""";

        using var first = await _teller.PostJsonAsync("/api/v1/accounts", body, Key(key));
        using var second = await _teller.PostJsonAsync("/api/v1/accounts", body, Key(key));

        var firstBody = await Teller.Expect(first, HttpStatusCode.Created);
        var secondBody = await Teller.Expect(second, HttpStatusCode.Created);
        second.Headers.Location.Should().Be(first.Headers.Location);
        secondBody.GetProperty("accountId").GetGuid().Should().Be(firstBody.GetProperty("accountId").GetGuid());
        second.Headers.GetValues("Idempotency-Replayed").Should().Equal("true");
    }

    [Fact]
    public async Task SameKeyOnTransfer_MovesMoneyOnce()
    {
        var from = await _teller.OpenAccountAsync();
        var to = await _teller.OpenAccountAsync();
        await _teller.DepositAsync(from, 100);
        var key = NewKey();
        var body = $$"""{ "fromAccountId": "{{from}}", "toAccountId": "{{to}}", "amount": 30 }""";

        using var first = await _teller.PostJsonAsync("/api/v1/transfers", body, Key(key));
        using var second = await _teller.PostJsonAsync("/api/v1/transfers", body, Key(key));

        var firstBody = await Teller.Expect(first, HttpStatusCode.Created);
        var secondBody = await Teller.Expect(second, HttpStatusCode.Created);
        secondBody.GetRawText().Should().Be(firstBody.GetRawText());
        (await _teller.BalanceAsync(from)).Should().Be(70m);
        (await _teller.BalanceAsync(to)).Should().Be(30m);
    }

    [Fact]
    public async Task SameKeyDifferentBody_IsRejectedWithoutEffect()
    {
        var id = await _teller.OpenAccountAsync();
        var key = NewKey();
        using var first = await _teller.PostJsonAsync($"/api/v1/accounts/{id}/deposits", """{ "amount": 10 }""", Key(key));
        await Teller.Expect(first, HttpStatusCode.OK);

        using var second = await _teller.PostJsonAsync($"/api/v1/accounts/{id}/deposits", """{ "amount": 11 }""", Key(key));

        await Teller.ExpectProblem(second, HttpStatusCode.UnprocessableEntity, "/problems/idempotency-key-reused");
        (await _teller.BalanceAsync(id)).Should().Be(10m);
    }

    [Fact]
    public async Task SameKeyOnAnotherEndpoint_IsRejected()
    {
        var id = await _teller.OpenAccountAsync();
        await _teller.DepositAsync(id, 50);
        var key = NewKey();
        using var deposit = await _teller.PostJsonAsync($"/api/v1/accounts/{id}/deposits", """{ "amount": 10 }""", Key(key));
        await Teller.Expect(deposit, HttpStatusCode.OK);

        using var withdrawal = await _teller.PostJsonAsync($"/api/v1/accounts/{id}/withdrawals", """{ "amount": 10 }""", Key(key));

        await Teller.ExpectProblem(withdrawal, HttpStatusCode.UnprocessableEntity, "/problems/idempotency-key-reused");
        (await _teller.BalanceAsync(id)).Should().Be(60m);
    }

    [Fact]
    public async Task SameKeyWhileFirstStillRuns_IsConflictAndFirstCompletes()
    {
        var id = await _teller.OpenAccountAsync();
        var key = NewKey();

        // Hold the account's stream row lock so that the first request is provably still running.
        await using var blocker = new NpgsqlConnection(factory.ConnectionString);
        await blocker.OpenAsync();
        await using var transaction = await blocker.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("select 1 from ledger.mt_streams where id = $1 for update", blocker, transaction))
        {
            lockRow.Parameters.Add(new NpgsqlParameter { Value = id });
            (await lockRow.ExecuteScalarAsync()).Should().Be(1);
        }

        var first = _teller.PostJsonAsync($"/api/v1/accounts/{id}/deposits", """{ "amount": 5 }""", Key(key));
        await WaitUntilReservedAsync(key);
        using var second = await _teller.PostJsonAsync($"/api/v1/accounts/{id}/deposits", """{ "amount": 5 }""", Key(key));
        await Teller.ExpectProblem(second, HttpStatusCode.Conflict, "/problems/idempotency-key-in-flight");

        await transaction.RollbackAsync();
        using var firstResponse = await first;
        await Teller.Expect(firstResponse, HttpStatusCode.OK);
        (await _teller.BalanceAsync(id)).Should().Be(5m);
    }

    [Fact]
    public async Task FailedFirstAttempt_FreesTheKeyForARetry()
    {
        var id = await _teller.OpenAccountAsync();
        var key = NewKey();
        using var refused = await _teller.PostJsonAsync($"/api/v1/accounts/{id}/withdrawals", """{ "amount": 5 }""", Key(key));
        await Teller.ExpectProblem(refused, HttpStatusCode.UnprocessableEntity, "/problems/insufficient-funds");
        await _teller.DepositAsync(id, 5);

        using var retried = await _teller.PostJsonAsync($"/api/v1/accounts/{id}/withdrawals", """{ "amount": 5 }""", Key(key));

        await Teller.Expect(retried, HttpStatusCode.OK);
        retried.Headers.Contains("Idempotency-Replayed").Should().BeFalse();
        (await _teller.BalanceAsync(id)).Should().Be(0m);
    }

    [Fact]
    public async Task ReservationOfACrashedRequest_IsTakenOverAfterItsLease()
    {
        var id = await _teller.OpenAccountAsync();
        var key = NewKey();
        const string body = """{ "amount": 7 }""";
        // The row a request leaves behind when its process dies after reserving the key: no response, lease over.
        await Sql.ExecuteAsync(factory.ConnectionString,
            "insert into ledger.idempotency_keys (key, request_hash, created_at, locked_until) values ($1, $2, now(), now() - interval '1 second')",
            key, Infrastructure.IdempotencyHashes.Of("POST", $"/api/v1/accounts/{id}/deposits", body));

        using var retried = await _teller.PostJsonAsync($"/api/v1/accounts/{id}/deposits", body, Key(key));

        await Teller.Expect(retried, HttpStatusCode.OK);
        (await _teller.BalanceAsync(id)).Should().Be(7m);
    }

    [Theory]
    [InlineData("caf\u00e9")]
    [InlineData("tab\there")]
    public async Task InvalidKey_IsBadRequest(string key)
    {
        var id = await _teller.OpenAccountAsync();

        using var response = await _teller.PostJsonAsync($"/api/v1/accounts/{id}/deposits", """{ "amount": 5 }""", Key(key));

        var problem = await Teller.ExpectProblem(response, HttpStatusCode.BadRequest, "/problems/validation-error");
        problem.GetProperty("errors").TryGetProperty("Idempotency-Key", out _).Should().BeTrue();
        (await _teller.BalanceAsync(id)).Should().Be(0m);
    }

    [Fact]
    public async Task KeyOf256Characters_IsBadRequest()
    {
        var id = await _teller.OpenAccountAsync();

        using var response = await _teller.PostJsonAsync($"/api/v1/accounts/{id}/deposits", """{ "amount": 5 }""", Key(new string('k', 256)));

        await Teller.ExpectProblem(response, HttpStatusCode.BadRequest, "/problems/validation-error");
    }

    [Fact]
    public async Task CompletedResponse_IsStoredWithTheKey()
    {
        var id = await _teller.OpenAccountAsync();
        var key = NewKey();
        using var response = await _teller.PostJsonAsync($"/api/v1/accounts/{id}/deposits", """{ "amount": 3 }""", Key(key));
        var body = await Teller.Expect(response, HttpStatusCode.OK);

        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var select = new NpgsqlCommand("select response_status, response_body from ledger.idempotency_keys where key = $1", connection);
        select.Parameters.Add(new NpgsqlParameter { Value = key });
        await using var reader = await select.ExecuteReaderAsync();
        (await reader.ReadAsync()).Should().BeTrue();
        reader.GetInt32(0).Should().Be(200);
        reader.GetString(1).Should().Be(body.GetRawText());
    }

    private Task WaitUntilReservedAsync(string key) =>
        Eventually.HoldsAsync(async () =>
                await Sql.ScalarAsync<long>(factory.ConnectionString, "select count(*) from ledger.idempotency_keys where key = $1", key) == 1,
            $"idempotency key {key} reserved");
}
