using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Ledger.AuditLog;
using Ledger.Contracts;
using Ledger.Development.Kafka;
using Ledger.Messaging;
using Ledger.Messaging.Consumers;
using Ledger.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Ledger.Cli.Tests;

/// <summary>
/// What the <c>ledger dlq</c> tests start from: an embedded Kafka with the ledger's topics (3 partitions) and a database
/// of their own, migrated by <c>ledger db migrate</c>, and the audit consumer (<see cref="AuditConsumer"/>) to run against
/// them: the real consumer loop that dead-letters what it cannot read and deduplicates by <c>ce_id</c>.
/// </summary>
public abstract class DeadLetterScenario : IAsyncLifetime
{
    private readonly List<AuditConsumer> _consumers = [];

    protected DeadLetterScenario()
    {
        Kafka = LedgerKafka.Start(partitions: 3);
        Ledger = new LedgerCli(PostgresServer.CreateDatabase());
        DataSource = NpgsqlDataSource.Create(Ledger.ConnectionString);
        Audit = new AuditLogStore(DataSource);
        Producer = KafkaTestMessages.CreateProducer(Kafka);
    }

    protected EmbeddedKafka Kafka { get; }

    protected LedgerCli Ledger { get; }

    protected NpgsqlDataSource DataSource { get; }

    protected AuditLogStore Audit { get; }

    protected IProducer<string, byte[]> Producer { get; }

    /// <summary>As an operator would on a new database: <c>ledger db migrate</c> creates every table, the replays' included.</summary>
    public async Task InitializeAsync()
    {
        var migrated = await LedgerCli.RunRawAsync(["db", "migrate", "--connection", Ledger.ConnectionString]);
        migrated.ExitCode.Should().Be(0, migrated.ToString());
    }

    public async Task DisposeAsync()
    {
        foreach (var consumer in _consumers)
        {
            await consumer.StopAsync(CancellationToken.None);
            consumer.Dispose();
        }

        Producer.Dispose();
        await DataSource.DisposeAsync();
        Kafka.Dispose();
    }

    /// <summary>Runs <c>ledger dlq ...</c> against this scenario's database and Kafka.</summary>
    protected Task<CliResult> DlqAsync(params string[] args) => Ledger.RunAsync(["dlq", .. args, "--bootstrap-servers", Kafka.BootstrapServers], CancellationToken.None);

    protected async Task StartAuditConsumerAsync()
    {
        var consumer = new AuditConsumer(new KafkaConnection(Kafka.BootstrapServers, Embedded: true),
            Options.Create(new KafkaOptions { ConsumerSessionTimeoutMs = 3_000 }), Audit, new ConsumerGapStore(DataSource), TimeProvider.System,
            NullLogger<AuditConsumer>.Instance);
        _consumers.Add(consumer);
        await consumer.StartAsync(CancellationToken.None);
    }

    /// <summary>
    /// Puts <paramref name="original"/> on the dead-letter topic with the headers <c>ConsumerLoop</c> adds, as if
    /// <paramref name="group"/> had failed on it at <paramref name="originalPartition"/>:<paramref name="originalOffset"/>
    /// of <paramref name="originalTopic"/>; returns its id (<c>partition:offset</c>). A null partition leaves that header out.
    /// </summary>
    protected async Task<string> PlaceDeadLetterAsync(Message<string, byte[]> original, string group = AuditConsumer.Group,
        string reason = "The database was unavailable.", string originalTopic = KafkaTopics.AccountEvents, int? originalPartition = 1,
        long originalOffset = 7)
    {
        ArgumentNullException.ThrowIfNull(original);
        var headers = new Headers();
        foreach (var header in original.Headers)
        {
            headers.Add(header.Key, header.GetValueBytes());
        }

        headers.Add(CloudEventHeaders.DeadLetterReason, Utf8(reason));
        headers.Add(CloudEventHeaders.DeadLetterConsumerGroup, Utf8(group));
        headers.Add(CloudEventHeaders.DeadLetterTopic, Utf8(originalTopic));
        if (originalPartition is { } partition)
        {
            headers.Add(CloudEventHeaders.DeadLetterPartition, Utf8(partition.ToString(CultureInfo.InvariantCulture)));
        }

        headers.Add(CloudEventHeaders.DeadLetterOffset, Utf8(originalOffset.ToString(CultureInfo.InvariantCulture)));
        var delivered = await Producer.ProduceAsync(KafkaTopics.AccountEventsDeadLetters,
            new Message<string, byte[]> { Key = original.Key, Value = original.Value, Headers = headers }).WaitAsync(KafkaTestMessages.Patience);
        return $"{delivered.Partition.Value}:{delivered.Offset.Value}";
    }

    /// <summary>Messages on every partition of a topic: the sum of their high watermarks (nothing is ever deleted here).</summary>
    protected long MessagesOn(string topic)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = Kafka.BootstrapServers, GroupId = "ledger-tests-watermarks" }).Build();
        using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        return admin.GetMetadata(topic, KafkaTestMessages.Patience).Topics.Single().Partitions
            .Sum(partition => consumer.QueryWatermarkOffsets(new TopicPartition(topic, partition.PartitionId), KafkaTestMessages.Patience).High.Value);
    }

    protected Task<AuditStatus> WaitForAuditAsync(Func<AuditStatus, bool> reached, string expected) =>
        Eventually.ReachesAsync(() => Audit.StatusAsync(), reached, expected);

    protected static string Utf8(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
