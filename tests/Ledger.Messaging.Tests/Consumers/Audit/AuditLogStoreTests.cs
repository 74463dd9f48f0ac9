using System.Text.Json;
using Confluent.Kafka;
using Ledger.AuditLog;
using Ledger.Contracts;
using Ledger.Contracts.V1;
using Ledger.Messaging.Consumers;
using Ledger.Testing;
using Npgsql;

namespace Ledger.Messaging.Tests.Consumers.Audit;

/// <summary>The audit log's bookkeeping and limits, written directly (no Kafka) on a fresh database.</summary>
public sealed class AuditLogStoreTests : IAsyncLifetime
{
    private const string Group = AuditConsumer.Group;
    private static readonly DateTimeOffset ReceivedAt = new(2026, 3, 2, 14, 3, 1, TimeSpan.Zero);

    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(PostgresServer.CreateDatabase());
    private readonly AuditLogStore _store;
    private long _offset;

    public AuditLogStoreTests() => _store = new AuditLogStore(_dataSource);

    public Task InitializeAsync() => _store.CreateTablesAsync();

    public async Task DisposeAsync() => await _dataSource.DisposeAsync();

    [Fact]
    public async Task EmptyLog_ReportsZeros()
    {
        (await _store.StatusAsync()).Should().BeEquivalentTo(new AuditStatus(0, 0, 0, 0, 0, 0, 0, []));
        (await _store.NextOffsetAsync(Group, new TopicPartition(KafkaTopics.AccountEvents, 0))).Should().BeNull();
    }

    [Fact]
    public async Task SameOffsetReplayed_IsARedeliveryNotADuplicate_AndTheOffsetNeverMovesBack()
    {
        var account = Guid.NewGuid();
        var first = Event(account, 1);
        var at = new TopicPartitionOffset(KafkaTopics.AccountEvents, 2, 7);

        (await _store.RecordAsync(first, Group, at, ReceivedAt)).Should().BeTrue();
        (await _store.RecordAsync(Event(account, 2), Group, new TopicPartitionOffset(at.TopicPartition, 8), ReceivedAt)).Should().BeTrue();
        (await _store.RecordAsync(first, Group, at, ReceivedAt)).Should().BeFalse("offset 7 was processed before: a replay");
        (await _store.RecordAsync(first, Group, new TopicPartitionOffset(at.TopicPartition, 9), ReceivedAt)).Should().BeFalse("same ce_id, new offset");

        (await _store.StatusAsync()).Should().BeEquivalentTo(new AuditStatus(2, 1, 1, 1, 0, 0, 0, []));
        (await _store.NextOffsetAsync(Group, at.TopicPartition)).Should().Be(10);
    }

    [Fact]
    public async Task TwoEventsClaimingOneVersion_AreBothKept_AndReportedAsAConflict()
    {
        var account = Guid.NewGuid();
        await RecordAsync(Event(account, 1), Event(account, 2), Event(account, 2));

        var status = await _store.StatusAsync();

        status.Should().BeEquivalentTo(new AuditStatus(3, 1, 0, 0, 1, 1, 0, []));
    }

    [Fact]
    public async Task LargeGaps_AreCountedInFull_AndListedUpToTheLimits()
    {
        var wide = Guid.Parse("00000000-0000-0000-0000-000000000001");
        var holed = Guid.Parse("00000000-0000-0000-0000-000000000002");
        // 1, then 1,000: one hole of 998 versions.
        await RecordAsync(Event(wide, 1), Event(wide, 1_000));
        // Every other version up to 400: 200 holes of one version each.
        await RecordAsync([.. Enumerable.Range(0, 200).Select(i => Event(holed, 2 * i + 2))]);
        // More accounts with a gap than the list holds, all ordered after the two above.
        await RecordAsync([.. Enumerable.Range(0, AuditLogStore.GapAccountsMax).Select(i => Event(Guid.Parse($"ffffffff-0000-0000-0000-{i:D12}"), 2))]);

        var status = await _store.StatusAsync();

        status.AccountsWithGaps.Should().Be(AuditLogStore.GapAccountsMax + 2);
        status.Gaps.Should().HaveCount(AuditLogStore.GapAccountsMax);
        status.Gaps[0].Should().BeEquivalentTo(new AuditGap(wide, 998, [.. Enumerable.Range(2, AuditLogStore.MissingVersionsPerAccountMax).Select(v => (long)v)]));
        status.Gaps[1].Should().BeEquivalentTo(new AuditGap(holed, 200,
            [.. Enumerable.Range(0, AuditLogStore.MissingVersionsPerAccountMax).Select(i => 2L * i + 1)]));
        status.Gaps[2].MissingVersions.Should().Equal(1L);
    }

    [Fact]
    public async Task PayloadPostgresCannotStore_IsPoison()
    {
        var account = Guid.NewGuid();
        var body = new MoneyDepositedV1(account, "1.00", "EUR", "nul \u0000 inside", KafkaTestMessages.OccurredAt);
        var message = Event(account, 1) with { Event = body, Payload = JsonSerializer.Serialize(body, IntegrationJson.Options) };

        var record = () => _store.RecordAsync(message, Group, new TopicPartitionOffset(KafkaTopics.AccountEvents, 0, 0), ReceivedAt);

        (await record.Should().ThrowAsync<PoisonMessageException>()).Which.Message.Should().Contain("jsonb");
        (await _store.StatusAsync()).Entries.Should().Be(0);
    }

    [Fact]
    public async Task CreateTables_ConcurrentlyFromSeveralStores_OnAnEmptyDatabase_Succeeds()
    {
        // A database of its own: this class's set-up has created the tables in the other one.
        await using var empty = NpgsqlDataSource.Create(PostgresServer.CreateDatabase());
        var stores = Enumerable.Range(0, 4).Select(_ => new AuditLogStore(empty)).ToList();

        await Task.WhenAll(stores.Select(store => store.CreateTablesAsync()));

        (await stores[0].StatusAsync()).Entries.Should().Be(0);
    }

    private async Task RecordAsync(params AccountEventMessage[] messages)
    {
        foreach (var message in messages)
        {
            var at = new TopicPartitionOffset(KafkaTopics.AccountEvents, 0, _offset++);
            (await _store.RecordAsync(message, Group, at, ReceivedAt)).Should().BeTrue();
        }
    }

    private static AccountEventMessage Event(Guid account, long version)
    {
        var body = new MoneyDepositedV1(account, "1.00", "EUR", null, KafkaTestMessages.OccurredAt);
        return new AccountEventMessage(Guid.NewGuid(), CloudEventTypes.MoneyDeposited, account, version, version, body.OccurredAt, null, body,
            JsonSerializer.Serialize(body, IntegrationJson.Options));
    }
}
