using System.Text;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using Ledger.Contracts;
using Ledger.Development.Kafka;
using Ledger.Testing;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Ledger.Messaging.Tests;

/// <summary>
/// Each test starts its own cluster (a few milliseconds), so tests share no topics, offsets or injected errors.
/// </summary>
public sealed partial class EmbeddedKafkaTests(ITestOutputHelper output)
{
    /// <summary>Upper bound of every wait; the mock answers in milliseconds, so reaching it means a failure.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly TestOutputLogger _logger = new(output);

    [Fact]
    public async Task ProduceThenConsume_RoundTripsKeyValueAndHeaders()
    {
        using var kafka = EmbeddedKafka.Start(logger: _logger);
        kafka.CreateTopic("round-trip", partitions: 3);
        using var producer = CreateProducer(kafka);

        var delivered = await producer.ProduceAsync("round-trip", new Message<string, string>
        {
            Key = "account-1",
            Value = "deposited 100",
            Headers = new Headers { { "ce-type", "ledger.money-deposited.v1"u8.ToArray() }, { "empty", [] } },
        });

        delivered.Status.Should().Be(PersistenceStatus.Persisted);
        using var consumer = CreateConsumer(kafka, "round-trip-readers");
        consumer.Assign(new TopicPartitionOffset(delivered.TopicPartition, Offset.Beginning));
        var consumed = consumer.Consume(Patience);
        consumed.Should().NotBeNull();
        consumed.TopicPartitionOffset.Should().Be(delivered.TopicPartitionOffset);
        consumed.Message.Key.Should().Be("account-1");
        consumed.Message.Value.Should().Be("deposited 100");
        consumed.Message.Headers.Select(header => (header.Key, Encoding.UTF8.GetString(header.GetValueBytes())))
            .Should().Equal(("ce-type", "ledger.money-deposited.v1"), ("empty", ""));
    }

    [Fact]
    public async Task ConsumerGroup_NewMemberResumesAfterCommittedOffset()
    {
        using var kafka = EmbeddedKafka.Start(logger: _logger);
        kafka.CreateTopic("group-resume", partitions: 1);
        using var producer = CreateProducer(kafka);
        for (var i = 0; i < 10; i++)
        {
            await producer.ProduceAsync("group-resume", new Message<string, string> { Key = "account-1", Value = $"event-{i}" });
        }

        using (var first = CreateConsumer(kafka, "auditors"))
        {
            first.Subscribe("group-resume");
            var taken = Enumerable.Range(0, 4).Select(_ => first.Consume(Patience)).ToList();
            taken.Select(result => result?.Message.Value).Should().Equal("event-0", "event-1", "event-2", "event-3");
            first.Commit(taken[^1]);
            first.Close();
        }

        using var second = CreateConsumer(kafka, "auditors");
        second.Subscribe("group-resume");
        var resumed = second.Consume(Patience);
        resumed.Should().NotBeNull();
        resumed.Offset.Value.Should().Be(4);
        resumed.Message.Value.Should().Be("event-4");
    }

    [Fact]
    public async Task BrokerDown_ProduceWaitsAndIsDeliveredAfterBrokerUp()
    {
        using var kafka = EmbeddedKafka.Start(logger: _logger);
        kafka.CreateTopic("outage", partitions: 1);
        using var producer = CreateProducer(kafka, new Dictionary<string, string>
        {
            // Long enough to outlast the outage, and quick reconnects so the test does not wait on backoff. A connection
            // attempt that hangs across the outage (seldom, on a busy machine) is given up after 2 s instead of the default
            // 30 s, which would outlast the message itself.
            ["message.timeout.ms"] = "30000",
            ["reconnect.backoff.ms"] = "50",
            ["reconnect.backoff.max.ms"] = "200",
            ["socket.connection.setup.timeout.ms"] = "2000",
        });
        (await producer.ProduceAsync("outage", Message("before"))).Offset.Value.Should().Be(0);

        kafka.BrokerDown(1);
        var during = producer.ProduceAsync("outage", Message("during"));
        var first = await Task.WhenAny(during, Task.Delay(TimeSpan.FromMilliseconds(500)));
        first.Should().NotBeSameAs(during, "no broker is there to take the message");
        kafka.BrokerUp(1);

        // Within the message's own timeout: what is proven is that it waits and is delivered, not how fast.
        var delivered = await during.WaitAsync(TimeSpan.FromSeconds(25));
        delivered.Status.Should().Be(PersistenceStatus.Persisted);
        delivered.Offset.Value.Should().Be(1);
    }

    [Fact]
    public async Task RetriableProduceErrors_IdempotentProducerDeliversOnce()
    {
        using var kafka = EmbeddedKafka.Start(logger: _logger);
        kafka.CreateTopic("flaky", partitions: 1);
        using var producer = CreateProducer(kafka);

        kafka.PushRequestErrors(0, ErrorCode.NotEnoughReplicas, ErrorCode.NotEnoughReplicas);
        var delivered = await producer.ProduceAsync("flaky", Message("despite two refusals")).WaitAsync(Patience);

        delivered.Status.Should().Be(PersistenceStatus.Persisted);
        using var consumer = CreateConsumer(kafka, "flaky-readers");
        consumer.QueryWatermarkOffsets(delivered.TopicPartition, Patience).High.Value.Should().Be(1, "retries are deduplicated");
    }

    [Fact]
    public async Task ProduceError_WithoutRetries_FailsDeliveryWithThatError()
    {
        using var kafka = EmbeddedKafka.Start(logger: _logger);
        kafka.CreateTopic("refused", partitions: 1);
        using var producer = CreateProducer(kafka, new Dictionary<string, string>
        {
            // Proves the injected error reaches the client: with retries the test above would pass without it.
            ["enable.idempotence"] = "false",
            ["message.send.max.retries"] = "0",
        });

        kafka.PushRequestErrors(0, ErrorCode.NotEnoughReplicas);
        var produce = () => producer.ProduceAsync("refused", Message("refused once")).WaitAsync(Patience);

        (await produce.Should().ThrowAsync<ProduceException<string, string>>())
            .Which.Error.Code.Should().Be(ErrorCode.NotEnoughReplicas);
    }

    [Fact]
    public void BrokerDown_UnknownBroker_IsRejected()
    {
        using var kafka = EmbeddedKafka.Start(brokers: 3, logger: _logger);

        kafka.Invoking(cluster => cluster.BrokerDown(4)).Should().Throw<ArgumentOutOfRangeException>();
        kafka.Invoking(cluster => cluster.CreateTopic("too-replicated", 1, replicationFactor: 4))
            .Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Dispose_ThenUse_IsRejected()
    {
        var kafka = EmbeddedKafka.Start(logger: _logger);
        kafka.BootstrapServers.Should().MatchRegex(@"^127\.0\.0\.1:\d+$");

        kafka.Dispose();
        kafka.Dispose();

        kafka.Invoking(cluster => cluster.CreateTopic("after", 1)).Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public async Task LedgerKafkaServe_ServesTheLedgerTopicsUntilSigterm()
    {
        // Every line the child writes is shown when the test fails.
        await using var ledger = ChildProcess.Start("ledger.dll", ["kafka", "serve", "--partitions", "2"], log: Log);
        var first = (await ledger.WaitForOutputAsync(FirstLine(), Patience)).Value;
        first.Should().MatchRegex(@"^bootstrap: 127\.0\.0\.1:\d+$");
        var bootstrapServers = first["bootstrap: ".Length..];

        using var producer = CreateProducer(bootstrapServers);
        var delivered = await producer.ProduceAsync(KafkaTopics.AccountEvents, Message("through the child"));
        using var consumer = CreateConsumer(bootstrapServers, "child-readers");
        using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        admin.GetMetadata(Patience).Topics.Where(topic => KafkaTopics.All.Contains(topic.Topic))
            .Should().HaveCount(3).And.OnlyContain(topic => topic.Partitions.Count == 2);
        consumer.Assign(new TopicPartitionOffset(delivered.TopicPartition, Offset.Beginning));
        consumer.Consume(Patience)?.Message.Value.Should().Be("through the child");

        ledger.HasExited.Should().BeFalse();
        if (OperatingSystem.IsLinux())
        {
            // The SIGTERM a service manager would send, to test the clean exit.
            await ledger.TerminateAsync();
            (await ledger.WaitForExitAsync(Patience)).Should().Be(0);
        }
    }

    [Fact]
    public async Task LedgerKafkaServe_WithJson_PrintsTheAddressAndTopicsAsJson()
    {
        await using var ledger = ChildProcess.Start("ledger.dll", ["kafka", "serve", "--json"], log: Log);
        var first = (await ledger.WaitForOutputAsync(FirstLine(), Patience)).Value;
        using var document = System.Text.Json.JsonDocument.Parse(first);
        var bootstrapServers = document.RootElement.GetProperty("bootstrapServers").GetString()!;
        bootstrapServers.Should().MatchRegex(@"^127\.0\.0\.1:\d+$");
        document.RootElement.GetProperty("topics").EnumerateArray().Select(topic => topic.GetString()).Should().BeEquivalentTo(KafkaTopics.All);
        using var producer = CreateProducer(bootstrapServers);
        (await producer.ProduceAsync(KafkaTopics.AccountEvents, Message("json"))).Status.Should().Be(PersistenceStatus.Persisted);
    }

    private void Log(string line) => _logger.LogInformation("ledger: {Line}", line);

    [GeneratedRegex("^.+$")]
    private static partial Regex FirstLine();

    private static Message<string, string> Message(string value) => new() { Key = "account-1", Value = value };

    private IProducer<string, string> CreateProducer(EmbeddedKafka kafka, Dictionary<string, string>? overrides = null) =>
        CreateProducer(kafka.BootstrapServers, overrides);

    private IProducer<string, string> CreateProducer(string bootstrapServers, Dictionary<string, string>? overrides = null)
    {
        var config = new Dictionary<string, string>
        {
            ["bootstrap.servers"] = bootstrapServers,
            ["acks"] = "all",
            ["enable.idempotence"] = "true",
            ["linger.ms"] = "0",
            ["message.timeout.ms"] = "10000",
        };
        foreach (var (key, value) in overrides ?? [])
        {
            config[key] = value;
        }
        return new ProducerBuilder<string, string>(config).SetLogHandler(LogClient).Build();
    }

    private IConsumer<string, string> CreateConsumer(EmbeddedKafka kafka, string groupId) =>
        CreateConsumer(kafka.BootstrapServers, groupId);

    private IConsumer<string, string> CreateConsumer(string bootstrapServers, string groupId) =>
        new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = groupId,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            // After a member leaves, the mock's coordinator waits the session timeout less 1 s before it accepts a
            // new generation; 2 s keeps a rejoin in a test at about 1 s.
            SessionTimeoutMs = 2000,
            HeartbeatIntervalMs = 500,
            // Do not let an empty first fetch hold the test for the default 500 ms.
            FetchWaitMaxMs = 50,
        }).SetLogHandler(LogClient).Build();

    private void LogClient<TClient>(TClient client, LogMessage message) =>
        _logger.LogInformation("{Client} {Facility}: {Message}", message.Name, message.Facility, message.Message);

    /// <summary>Sends logs to the test's output, which xunit shows when a test fails.</summary>
    private sealed class TestOutputLogger(ITestOutputHelper output) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            try
            {
                output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel}: {formatter(state, exception)}");
            }
            catch (InvalidOperationException)
            {
                // A librdkafka thread may log after the test finished; xunit then has no test to attach it to.
            }
        }
    }
}
