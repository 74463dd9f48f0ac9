using System.Net;
using System.Text.RegularExpressions;
using Ledger.Api.Tests.Relay;
using Ledger.Contracts;
using Ledger.Development.Kafka;
using Ledger.Testing;
using Npgsql;

namespace Ledger.Api.Tests.Fraud;

/// <summary>
/// Fraud alerts that act (ADR-025), as deployed: the API on a real port with the relay and without consumers, the workers
/// as their own process running the fraud consumer, whose large-debit rule freezes (threshold EUR 1000) and whose other
/// rules do not. The workers call the API's freeze command with a fraud service token read from a file. One embedded Kafka
/// and one database for the class; tests use accounts of their own.
/// </summary>
public sealed class FraudFreezeTests(FraudFreezeFixture fixture) : IClassFixture<FraudFreezeFixture>
{
    private const string AccountFrozen = "/problems/account-frozen";

    private readonly Teller _teller = new(fixture.Api.CreateClient());

    [Fact]
    public async Task LargeWithdrawal_FreezesTheAccount_AWithdrawalIsRefusedUntilATellerUnfreezesIt()
    {
        var account = await _teller.OpenFundedAccountAsync("5000.00");

        await _teller.WithdrawAsync(account, "1500.00");

        var alertId = await WaitForFreezeAsync(account, "frozen");
        (await _teller.GetAccountAsync(account)).GetProperty("status").GetString().Should().Be("frozen");
        (await FrozenEventsAsync(account)).Should().Equal(
            new FrozenEvent(alertId, $"fraud alert large-debit {alertId}", FraudFreezeFixture.ServiceSubject, Roles.Fraud));
        using (var refused = await _teller.WithdrawRawAsync(account, Teller.Json(new { amount = "10.00" })))
        {
            await Teller.ExpectProblem(refused, HttpStatusCode.UnprocessableEntity, AccountFrozen);
        }

        (await UnfreezeAsync(account)).GetProperty("status").GetString().Should().Be("open");
        (await _teller.WithdrawAsync(account, "10.00")).GetProperty("balance").GetDecimal().Should().Be(3490.00m);
    }

    [Fact]
    public async Task FreezeSentAgainAfterTheAccountWasUnfrozen_IsAReplay_TheAlertFreezesOnce()
    {
        var account = await _teller.OpenFundedAccountAsync("5000.00");
        await _teller.WithdrawAsync(account, "2000.00");
        var alertId = await WaitForFreezeAsync(account, "frozen");
        await UnfreezeAsync(account);

        // What a crash between the API's answer and its record leaves behind: the freeze pending again, so sent again.
        (await Sql.ExecuteAsync(fixture.Database, "update ledger_fraud.alerts set freeze_state = 'pending' where alert_id = $1", alertId)).Should().Be(1);

        await WaitForFreezeAsync(account, "frozen");
        (await _teller.GetAccountAsync(account)).GetProperty("status").GetString().Should().Be("open", "the second freeze was a replay");
        (await FrozenEventsAsync(account)).Should().ContainSingle().Which.AlertId.Should().Be(alertId);
        await fixture.Workers.WaitForOutputAsync(new Regex($"Froze account {account} on fraud alert large-debit {alertId} \\(the API replayed its first answer\\)"));
    }

    [Fact]
    public async Task AlertOfARuleThatDoesNotFreeze_LeavesTheAccountOpen()
    {
        var busy = await _teller.OpenFundedAccountAsync("100.00");
        for (var i = 0; i < 6; i++)
        {
            await _teller.WithdrawAsync(busy, "1.00");
        }

        var velocity = await Eventually.FoundAsync(() => Sql.ScalarAsync<string?>(fixture.Database,
            "select coalesce(freeze_state, 'none') from ledger_fraud.alerts where account_id = $1 and rule = 'velocity'", busy), "a velocity alert");
        // Freezes are issued in detection order: once a later alert's freeze is done, a pending one of the velocity alert would be too.
        var large = await _teller.OpenFundedAccountAsync("5000.00");
        await _teller.WithdrawAsync(large, "1500.00");
        await WaitForFreezeAsync(large, "frozen");

        velocity.Should().Be("none", "the velocity rule does not freeze");
        (await _teller.GetAccountAsync(busy)).GetProperty("status").GetString().Should().Be("open");
        (await FrozenEventsAsync(busy)).Should().BeEmpty();
    }

    /// <summary>A large debit of an account as Kafka delivers it, whose freeze the API answers for good without freezing.</summary>
    [Theory]
    [InlineData("unknown", "account-not-found")]
    [InlineData("frozen", "already-frozen")]
    [InlineData("closed", "account-closed")]
    public async Task FreezeTheApiAnswersWithoutFreezing_IsRecordedAsItsOutcome(string situation, string outcome)
    {
        var account = situation == "unknown" ? Guid.NewGuid() : await _teller.OpenAccountAsync();
        if (situation != "unknown")
        {
            using var change = await _teller.PostJsonAsync($"{Teller.AccountsPath}/{account}/{(situation == "frozen" ? "freeze" : "close")}",
                Teller.Json(new { reason = "teller's decision" }));
            await Teller.Expect(change, HttpStatusCode.OK);
        }

        using (var producer = KafkaTestMessages.CreateProducer(fixture.Kafka))
        {
            // The API refuses such a debit now; the fraud consumer still sees one that was committed before, or a replay.
            await producer.ProduceAccountEventAsync(KafkaTestMessages.MoneyWithdrawn(account, 9, "5000.00"));
        }

        await WaitForFreezeAsync(account, outcome);
        // Only the teller's freeze, which names no alert.
        (await FrozenEventsAsync(account)).Select(frozen => frozen.AlertId).Should().Equal(situation == "frozen" ? [null] : []);
    }

    [Fact]
    public async Task TokenTheApiRefuses_TheFreezeWaitsUntilTheTokenFileHoldsOneWithTheFraudRole()
    {
        await File.WriteAllTextAsync(fixture.TokenFile, TestTokens.For(Roles.Auditor, "not-the-fraud-service"));
        try
        {
            var account = await _teller.OpenFundedAccountAsync("5000.00");
            await _teller.WithdrawAsync(account, "1500.00");
            var alertId = await WaitForFreezeAsync(account, "pending");

            await fixture.Workers.WaitForOutputAsync(new Regex($"Freeze of account {account} on fraud alert {alertId} answered 403 "));
            (await FreezeOfAsync(account)).Should().Be((alertId, "pending"), "a refused token is not the account's answer");
            (await _teller.GetAccountAsync(account)).GetProperty("status").GetString().Should().Be("open");

            await fixture.WriteServiceTokenAsync();
            await WaitForFreezeAsync(account, "frozen");
            (await FrozenEventsAsync(account)).Should().ContainSingle().Which.Role.Should().Be(Roles.Fraud);
        }
        finally
        {
            await fixture.WriteServiceTokenAsync();
        }
    }

    private async Task<System.Text.Json.JsonElement> UnfreezeAsync(Guid account)
    {
        using var response = await _teller.PostJsonAsync($"{Teller.AccountsPath}/{account}/unfreeze",
            Teller.Json(new { reason = "customer confirmed the withdrawal" }));
        return await Teller.Expect(response, HttpStatusCode.OK);
    }

    /// <summary>Waits until the account's one alert that freezes has the given <c>freeze</c>; returns the alert id.</summary>
    private async Task<Guid> WaitForFreezeAsync(Guid account, string freeze)
    {
        var found = await Eventually.ReachesAsync(() => FreezeOfAsync(account), state => state?.Freeze == freeze,
            $"the freeze of account {account}'s alert to be {freeze}");
        return found!.Value.AlertId;
    }

    private async Task<(Guid AlertId, string Freeze)?> FreezeOfAsync(Guid account)
    {
        await using var connection = new NpgsqlConnection(fixture.Database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select alert_id, freeze_state from ledger_fraud.alerts where account_id = $1 and freeze_state is not null", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (reader.GetGuid(0), reader.GetString(1)) : null;
    }

    /// <summary>The account's <c>AccountFrozen</c> events as stored, with the actor that appended each.</summary>
    private async Task<List<FrozenEvent>> FrozenEventsAsync(Guid account)
    {
        await using var connection = new NpgsqlConnection(fixture.Database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select (data ->> 'alertId')::uuid, data ->> 'reason', user_name, headers ->> 'actorRole' from ledger.mt_events " +
            "where stream_id = $1 and type = 'account_frozen' order by version", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        await using var reader = await command.ExecuteReaderAsync();
        var events = new List<FrozenEvent>();
        while (await reader.ReadAsync())
        {
            events.Add(new FrozenEvent(reader.IsDBNull(0) ? null : reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
        }

        return events;
    }

    private sealed record FrozenEvent(Guid? AlertId, string Reason, string Subject, string Role);
}

/// <summary>The API on a real loopback port (the workers call it) and the workers as a child process, sharing a Kafka and a database.</summary>
public sealed class FraudFreezeFixture : IAsyncLifetime
{
    /// <summary>The subject of the fraud service's token, which every freeze it issues records as its actor.</summary>
    public const string ServiceSubject = "fraud-service";

    public EmbeddedKafka Kafka { get; } = LedgerKafka.Start();

    public string Database { get; } = PostgresServer.CreateDatabase();

    public string TokenFile { get; } = Path.Combine(Path.GetTempPath(), $"ledger-fraud-token-{Guid.NewGuid():N}");

    public RelayHost Api { get; private set; } = null!;

    public ChildProcess Workers { get; private set; } = null!;

    public Task WriteServiceTokenAsync() => File.WriteAllTextAsync(TokenFile, TestTokens.For(Roles.Fraud, ServiceSubject));

    public async Task InitializeAsync()
    {
        Api = new RelayHost(Kafka.BootstrapServers, Database, relayEnabled: true);
        Api.UseKestrel(0);
        Api.StartServer();
        using var client = Api.CreateClient();
        await WriteServiceTokenAsync();
        (Workers, _) = await WorkersProcess.StartAsync(Database, Kafka.BootstrapServers, new Dictionary<string, string?>
        {
            ["Workers__Audit"] = "false",
            ["Fraud__LargeDebit__FreezeAccount"] = "true",
            ["Fraud__LargeDebit__Thresholds__EUR"] = "1000",
            ["Fraud__Actions__ApiUrl"] = client.BaseAddress!.ToString(),
            ["Fraud__Actions__TokenFile"] = TokenFile,
            ["Fraud__Actions__SweepInterval"] = "00:00:01",
            ["Fraud__Actions__RetryBackoffMax"] = "00:00:02",
        }, WorkersProcess.InOwnOutput());
    }

    public async Task DisposeAsync()
    {
        if (Workers is not null)
        {
            await Workers.DisposeAsync();
        }

        if (Api is not null)
        {
            await Api.DisposeAsync();
        }

        Kafka.Dispose();
        File.Delete(TokenFile);
    }
}
