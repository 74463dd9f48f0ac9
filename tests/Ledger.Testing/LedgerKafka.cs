using System.Text;
using Confluent.Kafka;
using Ledger.Contracts;
using Ledger.Development.Kafka;
using Microsoft.Extensions.Logging;

namespace Ledger.Testing;

/// <summary>
/// The embedded Kafka as the tests use it: a fresh cluster with the ledger's topics, and a reader that takes a topic from
/// the beginning of every partition, outside any consumer group, so it never disturbs the consumers under test.
/// </summary>
public static class LedgerKafka
{
    // How long one poll waits; short, so a reader notices quickly that it has what it wanted.
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Starts an embedded cluster with every topic of the ledger's contract.</summary>
    public static EmbeddedKafka Start(int partitions = 3, ILogger? logger = null)
    {
        var kafka = EmbeddedKafka.Start(logger: logger);
        foreach (var topic in KafkaTopics.All)
        {
            kafka.CreateTopic(topic, partitions);
        }

        return kafka;
    }

    /// <summary>Reads <paramref name="topic"/> until <paramref name="count"/> messages arrived or the limit passed; returns what it read.</summary>
    public static IReadOnlyList<ConsumeResult<string, byte[]>> Read(string bootstrapServers, string topic, int count, TimeSpan? limit = null) =>
        Read(bootstrapServers, topic, result => result, read => read.Count >= count, limit);

    /// <summary>
    /// Reads <paramref name="topic"/> from the beginning, turning each message into a <typeparamref name="T"/>, until
    /// <paramref name="done"/> holds for what was read or the limit (default <see cref="Eventually.Patience"/>) passed;
    /// returns what it read, for the caller to assert on.
    /// </summary>
    public static IReadOnlyList<T> Read<T>(string bootstrapServers, string topic, Func<ConsumeResult<string, byte[]>, T> map,
        Func<IReadOnlyList<T>, bool> done, TimeSpan? limit = null)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(done);
        var patience = limit ?? Eventually.Patience;
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = $"ledger-tests-reader-{Guid.NewGuid():N}",
            EnableAutoCommit = false,
            FetchWaitMaxMs = 50,
        }).Build();
        using (var admin = new DependentAdminClientBuilder(consumer.Handle).Build())
        {
            var partitions = admin.GetMetadata(topic, patience).Topics.Single().Partitions;
            consumer.Assign(partitions.Select(partition => new TopicPartitionOffset(topic, partition.PartitionId, Offset.Beginning)));
        }

        var read = new List<T>();
        var deadline = DateTime.UtcNow + patience;
        while (!done(read) && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(PollInterval) is { IsPartitionEOF: false, Message: not null } result)
            {
                read.Add(map(result));
            }
        }

        return read;
    }

    /// <summary>The last value of a header as text; fails when the message lacks it.</summary>
    public static string Header(Headers headers, string name)
    {
        ArgumentNullException.ThrowIfNull(headers);
        return headers.TryGetLastBytes(name, out var bytes)
            ? Encoding.UTF8.GetString(bytes)
            : throw new InvalidOperationException($"Header {name} missing.");
    }
}
