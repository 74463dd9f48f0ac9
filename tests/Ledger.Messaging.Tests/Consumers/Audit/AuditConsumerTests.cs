using Confluent.Kafka;
using Ledger.AuditLog;
using Ledger.Contracts;
using Ledger.Testing;
using Npgsql;
using Xunit.Abstractions;
using static Ledger.Testing.KafkaTestMessages;

namespace Ledger.Messaging.Tests.Consumers.Audit;

/// <summary>
/// The audit consumer end to end: messages produced by hand to a fresh embedded Kafka, consumed by
/// <see cref="AuditConsumer"/> running as a hosted service, recorded in a fresh PostgreSQL database.
/// </summary>
public sealed class AuditConsumerTests(ITestOutputHelper output) : AuditConsumerScenario(output)
{
    [Fact]
    public async Task DistinctEvents_OneRowEach()
    {
        var (ada, bob) = (Guid.NewGuid(), Guid.NewGuid());
        await StartConsumerAsync();

        var deposited = MoneyDeposited(ada, 2, amount: "250.00");
        var delivered = await ProduceAllAsync(AccountCreated(ada), deposited, MoneyWithdrawn(ada, 3), AccountCreated(bob), MoneyDeposited(bob, 2));

        var status = await WaitForStatusAsync(status => status.Entries == 5);
        status.Should().BeEquivalentTo(new AuditStatus(5, 2, 0, 0, 0, 0, 0, []));
        var row = await ReadRowAsync(deposited.EventId());
        row.Should().Be((ada, 2L, CloudEventTypes.MoneyDeposited, "250.00", KafkaTopics.AccountEvents,
            delivered[1].Partition.Value, delivered[1].Offset.Value));
    }

    /// <summary>Messages relayed before the extensions took their CloudEvents names stay on the topic; they are read as before.</summary>
    [Fact]
    public async Task MessagesWithTheFormerHeaderNames_AreRecordedWithTheirVersions()
    {
        var ada = Guid.NewGuid();
        await StartConsumerAsync();

        var deposited = MoneyDeposited(ada, 2, amount: "250.00").WithFormerHeaderNames();
        var delivered = await ProduceAllAsync(AccountCreated(ada).WithFormerHeaderNames(), deposited, MoneyWithdrawn(ada, 3));

        var status = await WaitForStatusAsync(status => status.Entries == 3);
        status.Should().BeEquivalentTo(new AuditStatus(3, 1, 0, 0, 0, 0, 0, []), "versions 1 to 3 of one account, none missing");
        deposited.Headers.Header(CloudEventHeaders.StreamVersion).Should().BeNull("the message carries the former name only");
        (await ReadRowAsync(deposited.EventId())).Should().Be((ada, 2L, CloudEventTypes.MoneyDeposited, "250.00", KafkaTopics.AccountEvents,
            delivered[1].Partition.Value, delivered[1].Offset.Value));
    }

    /// <summary>Freezes, closings and holds are recorded like any account event: one row per ce_id, a redelivery ignored.</summary>
    [Fact]
    public async Task FreezeClosingAndHoldEvents_OneRowEach_DuplicatesIgnored()
    {
        var (ada, bob) = (Guid.NewGuid(), Guid.NewGuid());
        var (captured, released) = (Guid.NewGuid(), Guid.NewGuid());
        await StartConsumerAsync();
        Message<string, byte[]>[] added =
        [
            AccountFrozen(ada, 3), AccountUnfrozen(ada, 4), HoldPlaced(ada, 5, captured, amount: "98.40"),
            HoldCaptured(ada, 6, captured, ada, bob, amount: "98.40"), HoldCaptured(bob, 2, captured, ada, bob, amount: "98.40"),
            HoldPlaced(ada, 7, released), HoldReleased(ada, 8, released), AccountClosed(ada, 9),
        ];

        await ProduceAllAsync([AccountCreated(ada), MoneyDeposited(ada, 2, amount: "98.40"), AccountCreated(bob), .. added]);
        await ProduceAllAsync(added);

        var status = await WaitForStatusAsync(status => status.Entries == 11 && status.DuplicatesIgnored == added.Length);
        status.Should().BeEquivalentTo(new AuditStatus(11, 2, added.Length, 0, 0, 0, 0, []), "versions 1 to 9 of ada and 1 to 2 of bob, each once");
        var rows = new List<(Guid, long, string, string?)>();
        foreach (var message in added)
        {
            var (account, version, type, amount, _, _, _) = await ReadRowAsync(message.EventId());
            rows.Add((account, version, type, amount));
        }

        rows.Should().Equal(
            (ada, 3L, CloudEventTypes.AccountFrozen, (string?)null), (ada, 4L, CloudEventTypes.AccountUnfrozen, null),
            (ada, 5L, CloudEventTypes.HoldPlaced, "98.40"), (ada, 6L, CloudEventTypes.HoldCaptured, "98.40"),
            (bob, 2L, CloudEventTypes.HoldCaptured, "98.40"), (ada, 7L, CloudEventTypes.HoldPlaced, "10.00"),
            (ada, 8L, CloudEventTypes.HoldReleased, "10.00"), (ada, 9L, CloudEventTypes.AccountClosed, null));
    }

    [Fact]
    public async Task SameMessageProducedTwice_OneRowAndOneDuplicateIgnored()
    {
        var ada = Guid.NewGuid();
        var created = AccountCreated(ada);
        await StartConsumerAsync();

        await ProduceAllAsync(created, created, MoneyDeposited(ada, 2));

        var status = await WaitForStatusAsync(status => status.Entries == 2 && status.DuplicatesIgnored == 1);
        status.Should().BeEquivalentTo(new AuditStatus(2, 1, 1, 0, 0, 0, 0, []));
    }

    [Fact]
    public async Task PoisonMessages_GoToDeadLetterTopic_AndNextMessageIsRecorded()
    {
        var ada = Guid.NewGuid();
        await StartConsumerAsync();

        // One key, so one partition: the good message after the poison ones is behind them in the same queue.
        var delivered = await ProduceAllAsync(
            AccountCreated(ada),
            MoneyDeposited(ada, 2).WithBody("not json"),
            MoneyDeposited(ada, 2).WithHeader(CloudEventHeaders.Type, "ledger.money.teleported.v1"),
            MoneyDeposited(ada, 2).WithoutHeader(CloudEventHeaders.Id),
            MoneyDeposited(ada, 2));

        var status = await WaitForStatusAsync(status => status.Entries == 2);
        status.Gaps.Should().BeEmpty();
        var deadLetters = ReadTopic(Kafka, KafkaTopics.AccountEventsDeadLetters, count: 3);
        deadLetters.Select(letter => letter.Message.Headers.Header(CloudEventHeaders.DeadLetterReason)).Should().SatisfyRespectively(
            reason => reason.Should().StartWith("The body is not a valid ledger.money.deposited.v1 JSON document"),
            reason => reason.Should().Be("Unknown ce_type 'ledger.money.teleported.v1'."),
            reason => reason.Should().Be("Header ce_id is missing."));
        deadLetters.Select(letter => (
                letter.Message.Key,
                letter.Message.Headers.Header(CloudEventHeaders.DeadLetterConsumerGroup),
                letter.Message.Headers.Header(CloudEventHeaders.DeadLetterTopic),
                letter.Message.Headers.Header(CloudEventHeaders.DeadLetterPartition),
                letter.Message.Headers.Header(CloudEventHeaders.DeadLetterOffset)))
            .Should().Equal(delivered.Skip(1).Take(3).Select(original => (
                ada.ToString(), (string?)AuditConsumer.Group, (string?)KafkaTopics.AccountEvents, (string?)$"{original.Partition.Value}", (string?)$"{original.Offset.Value}")));
        deadLetters[0].Message.Headers.Header(CloudEventHeaders.Id).Should().Be(delivered[1].Message.Headers.Header(CloudEventHeaders.Id),
            "a dead letter keeps the original headers");
    }

    [Fact]
    public async Task MissingVersions_AreReportedAsGaps()
    {
        var (ada, bob, eve) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await StartConsumerAsync();

        await ProduceAllAsync(
            AccountCreated(ada), MoneyDeposited(ada, 2), MoneyDeposited(ada, 4),
            AccountCreated(bob), MoneyDeposited(bob, 2),
            MoneyDeposited(eve, 3), MoneyWithdrawn(eve, 7));

        var status = await WaitForStatusAsync(status => status.Entries == 7);
        status.AccountsWithGaps.Should().Be(2);
        status.Gaps.Should().BeEquivalentTo([new AuditGap(ada, 1, [3]), new AuditGap(eve, 5, [1, 2, 4, 5, 6])]);
    }

    [Fact]
    public async Task LateVersion_ClosesTheGap_AndCountsAsOutOfOrder()
    {
        var ada = Guid.NewGuid();
        await StartConsumerAsync();

        await ProduceAllAsync(AccountCreated(ada), MoneyDeposited(ada, 3));
        (await WaitForStatusAsync(status => status.Entries == 2)).Gaps.Should().BeEquivalentTo([new AuditGap(ada, 1, [2])]);
        await ProduceAllAsync(MoneyDeposited(ada, 2));

        var status = await WaitForStatusAsync(status => status.Entries == 3);
        status.Should().BeEquivalentTo(new AuditStatus(3, 1, 0, 0, 1, 0, 0, []));
    }

    [Fact]
    public async Task AfterProcessing_CommittedOffsetsReachTheEndOfEveryPartition()
    {
        await StartConsumerAsync();
        var delivered = await ProduceAllAsync([.. Enumerable.Range(0, 12).Select(_ => AccountCreated(Guid.NewGuid()))]);
        var ends = delivered.GroupBy(result => result.TopicPartition)
            .ToDictionary(partition => partition.Key, partition => partition.Max(result => result.Offset.Value) + 1);
        ends.Should().HaveCountGreaterThan(1, "twelve random keys spread over three partitions");
        await WaitForStatusAsync(status => status.Entries == 12);

        foreach (var (partition, end) in ends)
        {
            (await Store.NextOffsetAsync(AuditConsumer.Group, partition)).Should().Be(end);
        }

        // Auto-commit runs every second; the committed offset is the next one to read, as in the log's bookkeeping.
        using var observer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = Kafka.BootstrapServers,
            GroupId = AuditConsumer.Group,
            EnableAutoCommit = false,
        }).Build();
        var committed = await Eventually.ReachesAsync(
            () => Task.FromResult(observer.Committed(ends.Keys, Patience).ToDictionary(offset => offset.TopicPartition, offset => offset.Offset.Value)),
            offsets => offsets.OrderBy(pair => pair.Key.Partition.Value).SequenceEqual(ends.OrderBy(pair => pair.Key.Partition.Value)),
            "the audit consumer's committed offsets at the partitions' ends", Patience);
        committed.Should().BeEquivalentTo(ends);
    }
}
