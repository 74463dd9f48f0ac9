using System.Net;
using System.Text.Json;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Testing;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Ledger.Api.Tests.Audit;

/// <summary>
/// <c>GET /accounts/{id}/integrity</c> and <c>GET /ledger/integrity</c>. Tampering is the one thing arranged in SQL: it is
/// what the check exists to catch. Every tampered account is restored afterwards, because the database is shared and a
/// broken balance would unbalance the trial balance of other tests.
/// </summary>
[Collection(ApiFixtureGroup.Name)]
public sealed class IntegrityTests(LedgerApiFactory factory)
{
    private const string Currency = "NOK";

    private readonly Teller _teller = new(factory.CreateClient());

    private readonly Auditor _auditor = new(factory.CreateClient());

    private readonly LedgerWriter _writer = new(factory.Services.GetRequiredService<IDocumentStore>());

    /// <summary>
    /// Versions 5 to 12 of an arranged account: frozen, unfrozen, a hold of 20.00 (expiring) captured for 15.00 to
    /// <paramref name="payee"/>, a withdrawal awaiting approval, rejected, and a plain hold released.
    /// </summary>
    private async Task ArrangeHoldsAsync(Guid accountId, Guid payee)
    {
        await _writer.FreezeAsync(accountId, "suspicious", alertId: Guid.NewGuid());
        await _writer.UnfreezeAsync(accountId, "cleared");
        await _writer.CaptureAsync(await _writer.PlaceHoldAsync(accountId, 20_00, "deposit", DateTimeOffset.UtcNow.AddDays(1)), 15_00, payee);
        await _writer.ReleaseAsync(await _writer.PlaceHoldAsync(accountId, 30_00, purpose: Domain.Accounts.HoldPurpose.WithdrawalApproval,
            requestedBy: "clerk"), Domain.Accounts.ReleaseReasons.Rejected, rejectedBy: "supervisor");
        await _writer.ReleaseAsync(await _writer.PlaceHoldAsync(accountId, 5_00));
    }

    /// <summary>Created, +100.00, +50.00, −10.00: four versions.</summary>
    private async Task<Guid> ArrangeAsync()
    {
        var accountId = await _teller.OpenAccountAsync(Currency);
        await _teller.DepositAsync(accountId, "100.00");
        await _teller.DepositAsync(accountId, "50.00");
        await _teller.WithdrawAsync(accountId, "10.00");
        return accountId;
    }

    private static void ShouldBeInvalidAt(JsonElement integrity, long version)
    {
        integrity.GetProperty("valid").GetBoolean().Should().BeFalse("got {0}", integrity);
        integrity.GetProperty("firstInvalidVersion").GetInt64().Should().Be(version, "got {0}", integrity);
        integrity.GetProperty("problem").GetString().Should().NotBeNullOrWhiteSpace();
    }

    private async Task ShouldBeValidAsync(Guid accountId, long events)
    {
        var integrity = await _auditor.IntegrityAsync(accountId);
        integrity.GetProperty("valid").GetBoolean().Should().BeTrue("got {0}", integrity);
        integrity.GetProperty("events").GetInt64().Should().Be(events);
        integrity.GetProperty("accountId").GetGuid().Should().Be(accountId);
        integrity.GetProperty("headHash").GetString().Should().Be((await _auditor.HistoryAsync(accountId))[^1].GetProperty("hash").GetString());
        integrity.TryGetProperty("firstInvalidVersion", out _).Should().BeFalse();
        integrity.TryGetProperty("problem", out _).Should().BeFalse();
    }

    [Fact]
    public async Task FreshAccountsWithEveryEventType_AreValidWithTheLastEntrysHashAsHead()
    {
        var a = await ArrangeAsync();
        var b = await _teller.OpenAccountAsync(Currency);
        await _teller.TransferAsync(a, b, "40.00", "Split");
        await _teller.TransferAsync(b, a, "15.00", null);

        await ShouldBeValidAsync(a, 6);
        await ShouldBeValidAsync(b, 3);
        (await _auditor.IntegrityAsync(a)).GetProperty("headHash").GetString().Should().MatchRegex("^[0-9a-f]{64}$");
    }

    /// <summary>Freezes, holds (every purpose, captured to an account, rejected, released) and closings chain like any event.</summary>
    [Fact]
    public async Task AccountsWithFreezesHoldsAndClosings_AreValid()
    {
        var a = await ArrangeAsync();
        var payee = await _teller.OpenAccountAsync(Currency);
        await ArrangeHoldsAsync(a, payee);
        var closed = await _teller.OpenAccountAsync(Currency);
        await _writer.CloseAsync(closed, "never used");

        await ShouldBeValidAsync(a, 12);
        await ShouldBeValidAsync(payee, 2);
        await ShouldBeValidAsync(closed, 2);
    }

    [Theory]
    [InlineData(7, "update ledger.mt_events set data = jsonb_set(data, '{purpose}', '\"WithdrawalApproval\"') where stream_id = $1 and version = 7")]
    [InlineData(7, "update ledger.mt_events set data = jsonb_set(data, '{expiresAt}', '\"2099-01-01T00:00:00Z\"') where stream_id = $1 and version = 7")]
    [InlineData(8, "update ledger.mt_events set data = jsonb_set(data, '{heldMinor}', '1500') where stream_id = $1 and version = 8")]
    [InlineData(10, "update ledger.mt_events set data = jsonb_set(data, '{rejectedBy}', '\"clerk\"') where stream_id = $1 and version = 10")]
    [InlineData(5, "update ledger.mt_events set data = data - 'alertId' where stream_id = $1 and version = 5")]
    public async Task EditedFreezeOrHoldEvent_IsInvalidAtThatVersion(long version, string edit)
    {
        var accountId = await ArrangeAsync();
        await ArrangeHoldsAsync(accountId, await _teller.OpenAccountAsync(Currency));
        await using var tampering = await Tampering.StartAsync(factory.ConnectionString, accountId);

        await tampering.ExecuteAsync(edit);

        ShouldBeInvalidAt(await _auditor.IntegrityAsync(accountId), version);
        await tampering.RestoreAsync();
        await ShouldBeValidAsync(accountId, 12);
    }

    [Fact]
    public async Task EditedEventData_IsInvalidAtThatVersion()
    {
        var accountId = await ArrangeAsync();
        await using var tampering = await Tampering.StartAsync(factory.ConnectionString, accountId);

        await tampering.ExecuteAsync(
            "update ledger.mt_events set data = jsonb_set(data, '{amountMinor}', '99999') where stream_id = $1 and version = 3");

        var integrity = await _auditor.IntegrityAsync(accountId);
        ShouldBeInvalidAt(integrity, 3);
        integrity.GetProperty("events").GetInt64().Should().Be(4);
        await tampering.RestoreAsync();
        await ShouldBeValidAsync(accountId, 4);
    }

    [Fact]
    public async Task EditedOccurrenceTimeOrReference_IsInvalidAtThatVersion()
    {
        var accountId = await ArrangeAsync();
        await using var tampering = await Tampering.StartAsync(factory.ConnectionString, accountId);

        await tampering.ExecuteAsync(
            "update ledger.mt_events set data = jsonb_set(data, '{reference}', '\"Backdated\"') where stream_id = $1 and version = 2");

        ShouldBeInvalidAt(await _auditor.IntegrityAsync(accountId), 2);
    }

    [Fact]
    public async Task DeletedEvent_IsInvalidAtThatVersion()
    {
        var accountId = await ArrangeAsync();
        await using var tampering = await Tampering.StartAsync(factory.ConnectionString, accountId);

        await tampering.ExecuteAsync("delete from ledger.mt_events where stream_id = $1 and version = 2");

        ShouldBeInvalidAt(await _auditor.IntegrityAsync(accountId), 2);
        await tampering.RestoreAsync();
        await ShouldBeValidAsync(accountId, 4);
    }

    [Fact]
    public async Task DeletedLastEventAndItsEntry_ShortensTheChainSoTheHeadHashChanges()
    {
        var accountId = await ArrangeAsync();
        var head = (await _auditor.IntegrityAsync(accountId)).GetProperty("headHash").GetString();
        await using var tampering = await Tampering.StartAsync(factory.ConnectionString, accountId);

        await tampering.ExecuteAsync(
            "delete from ledger.mt_events where stream_id = $1 and version = 4; delete from ledger.account_entries where account_id = $1 and version = 4");

        // Truncating the tail is invisible to the chain alone (docs/audit.md): the published head hash is what exposes it.
        var integrity = await _auditor.IntegrityAsync(accountId);
        integrity.GetProperty("events").GetInt64().Should().Be(3);
        integrity.GetProperty("headHash").GetString().Should().NotBe(head);
    }

    [Fact]
    public async Task EditedRecordedBalance_IsInvalidAtThatVersion()
    {
        var accountId = await ArrangeAsync();
        await using var tampering = await Tampering.StartAsync(factory.ConnectionString, accountId);

        await tampering.ExecuteAsync(
            "update ledger.account_entries set balance_after_minor = balance_after_minor + 1 where account_id = $1 and version = 3");

        ShouldBeInvalidAt(await _auditor.IntegrityAsync(accountId), 3);
        await tampering.RestoreAsync();
        await ShouldBeValidAsync(accountId, 4);
    }

    [Fact]
    public async Task EditedRecordedAmount_IsInvalidAtThatVersion()
    {
        var accountId = await ArrangeAsync();
        await using var tampering = await Tampering.StartAsync(factory.ConnectionString, accountId);

        await tampering.ExecuteAsync("update ledger.account_entries set amount_minor = amount_minor + 1 where account_id = $1 and version = 2");

        var integrity = await _auditor.IntegrityAsync(accountId);
        ShouldBeInvalidAt(integrity, 2);
        integrity.GetProperty("problem").GetString().Should().Contain("amount");
        await tampering.RestoreAsync();
        await ShouldBeValidAsync(accountId, 4);
    }

    [Theory]
    [InlineData("deposited_to_date_minor")]
    [InlineData("withdrawn_to_date_minor")]
    public async Task EditedRecordedTotalToDate_IsInvalidAtThatVersion(string column)
    {
        var accountId = await ArrangeAsync();
        await using var tampering = await Tampering.StartAsync(factory.ConnectionString, accountId);

        // The trial balance reads these from each account's last entry: an edit must not go unnoticed.
        await tampering.ExecuteAsync($"update ledger.account_entries set {column} = {column} + 1 where account_id = $1 and version = 3");

        var integrity = await _auditor.IntegrityAsync(accountId);
        ShouldBeInvalidAt(integrity, 3);
        integrity.GetProperty("problem").GetString().Should().Contain("to date");
        await tampering.RestoreAsync();
        await ShouldBeValidAsync(accountId, 4);
    }

    [Fact]
    public async Task EditedRecordedActor_IsInvalidAtThatVersion()
    {
        var accountId = await ArrangeAsync();
        await using var tampering = await Tampering.StartAsync(factory.ConnectionString, accountId);

        await tampering.ExecuteAsync(
            "update ledger.account_entries set actor_subject = 'someone-else' where account_id = $1 and version = 3");

        var integrity = await _auditor.IntegrityAsync(accountId);
        ShouldBeInvalidAt(integrity, 3);
        integrity.GetProperty("problem").GetString().Should().Contain("actor");
        await tampering.RestoreAsync();
        await ShouldBeValidAsync(accountId, 4);
    }

    [Fact]
    public async Task EditedActorOfTheStoredEvent_BreaksTheChainAtThatVersion()
    {
        var accountId = await ArrangeAsync();
        await using var tampering = await Tampering.StartAsync(factory.ConnectionString, accountId);

        // Both the event's actor and the entry's copy: only the chain can tell then.
        await tampering.ExecuteAsync(
            "update ledger.mt_events set headers = jsonb_set(headers, '{actorRole}', '\"admin\"') where stream_id = $1 and version = 2; " +
            "update ledger.account_entries set actor_role = 'admin' where account_id = $1 and version = 2");

        var integrity = await _auditor.IntegrityAsync(accountId);
        ShouldBeInvalidAt(integrity, 2);
        integrity.GetProperty("problem").GetString().Should().Contain("hash");
        await tampering.RestoreAsync();
        await ShouldBeValidAsync(accountId, 4);
    }

    [Fact]
    public async Task EditedRecordedHash_IsInvalidAtThatVersion()
    {
        var accountId = await ArrangeAsync();
        await using var tampering = await Tampering.StartAsync(factory.ConnectionString, accountId);

        await tampering.ExecuteAsync(
            "update ledger.account_entries set hash = repeat('0', 64) where account_id = $1 and version = 2");

        ShouldBeInvalidAt(await _auditor.IntegrityAsync(accountId), 2);
    }

    [Fact]
    public async Task TransferTamperedOnOneLeg_OnlyThatStreamIsInvalid()
    {
        var source = await ArrangeAsync();
        var destination = await _teller.OpenAccountAsync(Currency);
        await _teller.TransferAsync(source, destination, "25.00", "Loan");
        await using var tampering = await Tampering.StartAsync(factory.ConnectionString, destination);

        await tampering.ExecuteAsync(
            "update ledger.mt_events set data = jsonb_set(data, '{amountMinor}', '250000') where stream_id = $1 and version = 2");

        ShouldBeInvalidAt(await _auditor.IntegrityAsync(destination), 2);
        await ShouldBeValidAsync(source, 5);
    }

    [Fact]
    public async Task LedgerIntegrity_ListsTheBrokenStreamsAndNotTheIntactOnes()
    {
        var edited = await ArrangeAsync();
        var deleted = await ArrangeAsync();
        var intact = await ArrangeAsync();
        await using var editing = await Tampering.StartAsync(factory.ConnectionString, edited);
        await using var deleting = await Tampering.StartAsync(factory.ConnectionString, deleted);
        await editing.ExecuteAsync("update ledger.mt_events set data = jsonb_set(data, '{amountMinor}', '1') where stream_id = $1 and version = 4");
        await deleting.ExecuteAsync("delete from ledger.mt_events where stream_id = $1 and version = 2");

        var ledger = await _auditor.GetOkAsync("/api/v1/ledger/integrity");

        ledger.GetProperty("valid").GetBoolean().Should().BeFalse();
        ledger.GetProperty("brokenStreams").GetInt64().Should().BeGreaterThanOrEqualTo(2);
        ledger.GetProperty("streams").GetInt64().Should().BeGreaterThanOrEqualTo(3);
        ledger.GetProperty("events").GetInt64().Should().BeGreaterThanOrEqualTo(12);
        var broken = ledger.GetProperty("broken").EnumerateArray().ToDictionary(stream => stream.GetProperty("accountId").GetGuid());
        broken.Should().ContainKeys(edited, deleted).And.NotContainKey(intact);
        ShouldBeInvalidAt(broken[edited], 4);
        ShouldBeInvalidAt(broken[deleted], 2);

        await editing.RestoreAsync();
        await deleting.RestoreAsync();
        var restored = await _auditor.GetOkAsync("/api/v1/ledger/integrity");
        restored.GetProperty("broken").EnumerateArray().Select(stream => stream.GetProperty("accountId").GetGuid())
            .Should().NotContain([edited, deleted, intact]);
    }

    [Fact]
    public async Task UnknownAccount_IsAccountNotFound()
    {
        var problem = await _auditor.ExpectProblemAsync($"/api/v1/accounts/{Guid.NewGuid()}/integrity", HttpStatusCode.NotFound, ProblemTypes.AccountNotFound);

        problem.ShouldBeCompleteProblem(404);
    }
}
