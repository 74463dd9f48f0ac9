using System.Text;
using Confluent.Kafka;
using Ledger.Contracts;

namespace Ledger.Cli.Checks;

/// <summary>
/// The optional Kafka check's reading: the ids (<c>ce_id</c>, identical on every redelivery, docs/contracts.md) of the
/// messages on <see cref="KafkaTopics.AccountEvents"/> keyed by the run's accounts, read from the beginning until every
/// expected id was seen or the wait is over. Duplicates collapse in the set, as a deduplicating consumer's would.
/// </summary>
internal static class BankKafka
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    public static IReadOnlySet<Guid> ReadPublished(string bootstrapServers, IReadOnlySet<Guid> accountIds, IReadOnlySet<Guid> expected,
        TimeSpan wait, CancellationToken cancellation)
    {
        var keys = accountIds.Select(id => id.ToString()).ToHashSet(StringComparer.Ordinal);
        var seen = new HashSet<Guid>();
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = $"ledger-bank-check-{Guid.NewGuid():N}",
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            FetchWaitMaxMs = 100,
        }).Build();
        using (var admin = new DependentAdminClientBuilder(consumer.Handle).Build())
        {
            var partitions = admin.GetMetadata(KafkaTopics.AccountEvents, wait).Topics.Single().Partitions;
            consumer.Assign(partitions.Select(partition => new TopicPartitionOffset(KafkaTopics.AccountEvents, partition.PartitionId, Offset.Beginning)));
        }

        var deadline = DateTime.UtcNow + wait;
        while (!expected.IsSubsetOf(seen) && DateTime.UtcNow < deadline)
        {
            cancellation.ThrowIfCancellationRequested();
            if (consumer.Consume(PollInterval) is { IsPartitionEOF: false, Message: { } message } && keys.Contains(message.Key ?? "")
                && message.Headers.TryGetLastBytes(CloudEventHeaders.Id, out var id) && Guid.TryParse(Encoding.UTF8.GetString(id), out var eventId))
            {
                seen.Add(eventId);
            }
        }

        consumer.Close();
        return seen;
    }
}
