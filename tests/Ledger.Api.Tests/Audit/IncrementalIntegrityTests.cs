using System.Text.Json;
using Ledger.Api.Tests.Infrastructure;
using Ledger.EventStore;
using Ledger.EventStore.Audit;
using Ledger.Testing;

namespace Ledger.Api.Tests.Audit;

/// <summary>
/// <c>GET /ledger/integrity?mode=incremental</c> and the sealed checkpoints it starts from. The counts these tests assert are
/// ledger-wide, so the class has an API and a database of its own (nothing else appends there), and every tampering is
/// undone before a test ends.
/// </summary>
public sealed class IncrementalIntegrityTests(LedgerApiFactory factory) : IClassFixture<LedgerApiFactory>
{
    private const string Currency = "DKK";

    private readonly Teller _teller = new(factory.CreateClient());

    private readonly Auditor _auditor = new(factory.CreateClient());

    /// <summary>Created, +100.00, +50.00, −10.00: four versions.</summary>
    private async Task<Guid> ArrangeAsync()
    {
        var accountId = await _teller.OpenAccountAsync(Currency);
        await _teller.DepositAsync(accountId, "100.00");
        await _teller.DepositAsync(accountId, "50.00");
        await _teller.WithdrawAsync(accountId, "10.00");
        return accountId;
    }

    private Task<JsonElement> LedgerAsync(string mode) => _auditor.GetOkAsync($"/api/v1/ledger/integrity?mode={mode}");

    private static JsonElement? BrokenEntry(JsonElement ledger, Guid accountId) =>
        ledger.GetProperty("broken").EnumerateArray().Where(stream => stream.GetProperty("accountId").GetGuid() == accountId)
            .Select(stream => (JsonElement?)stream).SingleOrDefault();

    private static void ShouldBeBrokenAt(JsonElement ledger, Guid accountId, long version)
    {
        ledger.GetProperty("valid").GetBoolean().Should().BeFalse("got {0}", ledger);
        var stream = BrokenEntry(ledger, accountId);
        stream.Should().NotBeNull("{0} should be listed as broken in {1}", accountId, ledger);
        stream!.Value.GetProperty("firstInvalidVersion").GetInt64().Should().Be(version, "got {0}", stream);
    }

    private static long Count(JsonElement ledger, string name) => ledger.GetProperty(name).GetInt64();

    [Fact]
    public async Task AfterNewEvents_OnlyTheNewLinksAreVerified()
    {
        var a = await ArrangeAsync();
        var b = await ArrangeAsync();
        var full = await LedgerAsync("full");
        full.GetProperty("valid").GetBoolean().Should().BeTrue("got {0}", full);
        full.GetProperty("mode").GetString().Should().Be("full");
        full.GetProperty("checkpointing").GetBoolean().Should().BeTrue();
        Count(full, "eventsVerified").Should().Be(Count(full, "events"), "a full check recomputes every link");
        Count(full, "streamsFromCheckpoint").Should().Be(0);

        var idle = await LedgerAsync("incremental");
        await _teller.DepositAsync(a, "1.00");
        await _teller.DepositAsync(a, "2.00");
        await _teller.WithdrawAsync(b, "3.00");
        var incremental = await LedgerAsync("incremental");

        idle.GetProperty("valid").GetBoolean().Should().BeTrue("got {0}", idle);
        idle.GetProperty("mode").GetString().Should().Be("incremental");
        Count(idle, "eventsVerified").Should().Be(0, "nothing was appended since the full check");
        Count(idle, "streamsFromCheckpoint").Should().Be(Count(full, "streams"));
        Count(idle, "events").Should().Be(Count(full, "events"));
        incremental.GetProperty("valid").GetBoolean().Should().BeTrue("got {0}", incremental);
        Count(incremental, "eventsVerified").Should().Be(3, "only the three new events are recomputed");
        Count(incremental, "events").Should().Be(Count(full, "events") + 3);
        Count(incremental, "streams").Should().Be(Count(full, "streams"));
        Count(incremental, "checkpointsRejected").Should().Be(0);
        Count(await LedgerAsync("incremental"), "eventsVerified").Should().Be(0, "the incremental check moved the checkpoints on");
    }

    [Fact]
    public async Task NewStream_IsVerifiedFromItsFirstEvent()
    {
        await LedgerAsync("full");
        var fresh = await ArrangeAsync();

        var incremental = await LedgerAsync("incremental");

        incremental.GetProperty("valid").GetBoolean().Should().BeTrue("got {0}", incremental);
        Count(incremental, "eventsVerified").Should().Be(4);
        Count(incremental, "streamsFromCheckpoint").Should().Be(Count(incremental, "streams") - 1);
        (await _auditor.IntegrityAsync(fresh)).GetProperty("valid").GetBoolean().Should().BeTrue();
    }

    [Fact]
    public async Task TamperingAfterTheCheckpoint_IsFoundByIncremental()
    {
        var accountId = await ArrangeAsync();
        await LedgerAsync("full");
        await _teller.DepositAsync(accountId, "5.00");
        await _teller.DepositAsync(accountId, "6.00");
        await using var tampering = await Tampering.StartAsync(factory.ConnectionString, accountId);

        await tampering.ExecuteAsync(
            "update ledger.mt_events set data = jsonb_set(data, '{amountMinor}', '99999') where stream_id = $1 and version = 5");

        var incremental = await LedgerAsync("incremental");
        ShouldBeBrokenAt(incremental, accountId, 5);
        BrokenEntry(incremental, accountId)!.Value.GetProperty("checkpointVersion").GetInt64().Should().Be(4);
        await tampering.RestoreAsync();
        (await LedgerAsync("incremental")).GetProperty("valid").GetBoolean().Should().BeTrue();
    }

    [Fact]
    public async Task TamperingBeforeTheCheckpoint_IsFoundByFull_ThenByIncrementalToo()
    {
        var accountId = await ArrangeAsync();
        await LedgerAsync("full");
        await using var tampering = await Tampering.StartAsync(factory.ConnectionString, accountId);

        await tampering.ExecuteAsync(
            "update ledger.mt_events set data = jsonb_set(data, '{reference}', '\"Backdated\"') where stream_id = $1 and version = 2");

        // What incremental does not re-read it cannot see (docs/audit.md): version 2 was verified before it was edited.
        BrokenEntry(await LedgerAsync("incremental"), accountId).Should().BeNull();
        ShouldBeBrokenAt(await LedgerAsync("full"), accountId, 2);
        // The full check took the stream's checkpoint away, so incremental checks it from the start again.
        ShouldBeBrokenAt(await LedgerAsync("incremental"), accountId, 2);
        await tampering.RestoreAsync();
        (await LedgerAsync("full")).GetProperty("valid").GetBoolean().Should().BeTrue();
    }

    [Fact]
    public async Task EntryEditedAtTheCheckpoint_IsFoundByIncremental()
    {
        var accountId = await ArrangeAsync();
        await LedgerAsync("full");
        await using var tampering = await Tampering.StartAsync(factory.ConnectionString, accountId);

        // As a rewrite of the history back past the checkpoint would leave it: the head no longer has the verified hash.
        await tampering.ExecuteAsync("update ledger.account_entries set hash = repeat('1', 64) where account_id = $1 and version = 4");

        ShouldBeBrokenAt(await LedgerAsync("incremental"), accountId, 4);
        await tampering.RestoreAsync();
    }

    [Fact]
    public async Task CheckpointMovedPastAnEditedEvent_IsRejectedAndTheStreamCheckedInFull()
    {
        var accountId = await ArrangeAsync();
        await LedgerAsync("full");
        await _teller.DepositAsync(accountId, "5.00");
        await _teller.DepositAsync(accountId, "6.00");
        await using var tampering = await Tampering.StartAsync(factory.ConnectionString, accountId);

        // Edit version 5, then move the checkpoint (at 4) to version 6 with the entry's values: without the key, the seal stays old.
        await tampering.ExecuteAsync(
            "update ledger.mt_events set data = jsonb_set(data, '{amountMinor}', '1') where stream_id = $1 and version = 5; " +
            "update ledger.integrity_checkpoints c set version = x.version, hash = x.hash, balance_minor = x.balance_after_minor, " +
            "deposited_to_date_minor = x.deposited_to_date_minor, withdrawn_to_date_minor = x.withdrawn_to_date_minor " +
            "from ledger.account_entries x where c.account_id = $1 and x.account_id = $1 and x.version = 6");

        var incremental = await LedgerAsync("incremental");
        ShouldBeBrokenAt(incremental, accountId, 5);
        Count(incremental, "checkpointsRejected").Should().Be(1);
        BrokenEntry(incremental, accountId)!.Value.TryGetProperty("checkpointVersion", out _).Should().BeFalse("the stream was checked from its first event");
        ShouldBeBrokenAt(await LedgerAsync("full"), accountId, 5);
        await tampering.RestoreAsync();
    }

    [Fact]
    public async Task ForgedCheckpoint_IsRejected()
    {
        var accountId = await ArrangeAsync();
        await using var tampering = await Tampering.StartAsync(factory.ConnectionString, accountId);

        await tampering.ExecuteAsync(
            "update ledger.mt_events set data = jsonb_set(data, '{amountMinor}', '1') where stream_id = $1 and version = 3; " +
            "delete from ledger.integrity_checkpoints where account_id = $1; " +
            "insert into ledger.integrity_checkpoints select account_id, version, hash, balance_after_minor, deposited_to_date_minor, " +
            "withdrawn_to_date_minor, now(), repeat('0', 64) from ledger.account_entries where account_id = $1 and version = 4");

        var incremental = await LedgerAsync("incremental");
        ShouldBeBrokenAt(incremental, accountId, 3);
        Count(incremental, "checkpointsRejected").Should().BeGreaterThanOrEqualTo(1);
        await tampering.RestoreAsync();
    }

    [Fact]
    public async Task DeletedTailBelowTheCheckpoint_IsFoundByIncremental()
    {
        var accountId = await ArrangeAsync();
        await LedgerAsync("full");
        await using var tampering = await Tampering.StartAsync(factory.ConnectionString, accountId);

        await tampering.ExecuteAsync(
            "delete from ledger.mt_events where stream_id = $1 and version = 4; delete from ledger.account_entries where account_id = $1 and version = 4");

        // The chain alone cannot see a shortened tail (docs/audit.md); the checkpoint remembers where it ended.
        ShouldBeBrokenAt(await LedgerAsync("incremental"), accountId, 4);
        await tampering.RestoreAsync();
    }

    [Theory]
    [InlineData("fast")]
    [InlineData("Full")]
    [InlineData("")]
    public async Task UnknownMode_IsRejectedOnMode(string mode)
    {
        await _auditor.ExpectValidationErrorAsync($"/api/v1/ledger/integrity?mode={Uri.EscapeDataString(mode)}", "mode");
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("c2hvcnQ=")]
    public void MalformedCheckpointKey_RefusesTheStart(string key)
    {
        var refused = () => CheckpointSeal.FromSetting(key);

        refused.Should().Throw<StartupRefusedException>().WithMessage($"*{CheckpointSeal.Setting}*");
    }

    [Fact]
    public void NoCheckpointKey_MeansNoSeal()
    {
        CheckpointSeal.FromSetting(null).Should().BeNull();
        CheckpointSeal.FromSetting(" ").Should().BeNull();
    }
}
