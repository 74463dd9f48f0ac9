using System.Diagnostics.Metrics;
using Confluent.Kafka;
using Ledger.AuditLog;
using Ledger.Contracts;
using Ledger.Messaging.Consumers;
using Xunit.Abstractions;
using static Ledger.Testing.KafkaTestMessages;

namespace Ledger.Messaging.Tests.Consumers.Audit;

/// <summary>
/// A consumer whose position fell below the partition's log start (retention on a real cluster, the bounded log of the
/// embedded broker) reports the messages it will never receive, and republishing their sequence range fills the hole.
/// </summary>
public sealed class AuditConsumerRetentionTests(ITestOutputHelper output) : AuditConsumerScenario(output)
{
    [Fact]
    public async Task CommittedOffsetBelowLogStart_IsRecordedAsGap_AndRepublishingItsRangeFillsIt()
    {
        var ada = Guid.NewGuid();
        Message<string, byte[]>[] history =
            [AccountCreated(ada), MoneyDeposited(ada, 2), MoneyDeposited(ada, 3), MoneyDeposited(ada, 4), MoneyDeposited(ada, 5)];
        var delivered = await ProduceAllAsync(history);
        var partition = delivered[0].TopicPartition;
        // The group last stood at the first message; retention then dropped the first three.
        CommitForAuditGroup(new TopicPartitionOffset(partition, delivered[0].Offset));
        Kafka.DeleteRecords(partition.Topic, partition.Partition.Value, delivered[3].Offset.Value);
        using var lost = new LostMessagesListener();

        await StartConsumerAsync();

        var status = await WaitForStatusAsync(status => status.Entries == 2);
        var gap = (await Gaps.OpenAsync(AuditConsumer.Group)).Should().ContainSingle().Subject;
        gap.Should().BeEquivalentTo(new
        {
            ConsumerGroup = AuditConsumer.Group,
            partition.Topic,
            Partition = partition.Partition.Value,
            FirstOffset = delivered[0].Offset.Value,
            LastOffset = delivered[2].Offset.Value,
            AfterSequence = (long?)null,
            BeforeSequence = (long?)Sequence(history[3]),
            MissingMessages = 3L,
            RepublishFromSequence = 1L,
            RepublishToSequence = (long?)(Sequence(history[3]) - 1),
        });
        status.LostMessages.Should().BeEquivalentTo([gap], "the audit status shows its group's open gaps");
        lost.Total(AuditConsumer.Group).Should().Be(3);

        // What `ledger relay republish` does: the same messages again, then the gaps its range covers are repaired.
        await ProduceAllAsync(history[..3]);
        (await Gaps.MarkRepairedAsync(gap.RepublishFromSequence, gap.RepublishToSequence!.Value, toLastEvent: false, DateTimeOffset.UtcNow)).Should().ContainSingle();

        status = await WaitForStatusAsync(status => status.Entries == 5);
        status.AccountsWithGaps.Should().Be(0);
        status.LostMessages.Should().BeEmpty();
        (await Gaps.OpenAsync()).Should().BeEmpty();
    }

    private static long Sequence(Message<string, byte[]> message) => long.Parse(message.Headers.Header(CloudEventHeaders.Sequence)!, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Commits an offset for group <c>ledger-audit</c> without joining it, as a consumer that stopped there would have.</summary>
    private void CommitForAuditGroup(TopicPartitionOffset offset)
    {
        using var committer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = Kafka.BootstrapServers,
            GroupId = AuditConsumer.Group,
            EnableAutoCommit = false,
        }).Build();
        committer.Commit([offset]);
    }

    /// <summary>Sums <c>ledger.consumer.lost_messages</c> per consumer group while it lives.</summary>
    private sealed class LostMessagesListener : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Dictionary<string, long> _totals = new(StringComparer.Ordinal);

        public LostMessagesListener()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == ConsumerLoop.MeterName && instrument.Name == "ledger.consumer.lost_messages")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag is { Key: "group", Value: string group })
                    {
                        lock (_totals)
                        {
                            _totals[group] = _totals.GetValueOrDefault(group) + value;
                        }
                    }
                }
            });
            _listener.Start();
        }

        public long Total(string group)
        {
            lock (_totals)
            {
                return _totals.GetValueOrDefault(group);
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}
