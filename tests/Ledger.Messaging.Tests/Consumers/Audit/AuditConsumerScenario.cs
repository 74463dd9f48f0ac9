using Confluent.Kafka;
using Ledger.AuditLog;
using Ledger.Development.Kafka;
using Ledger.Messaging.Consumers;
using Ledger.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Xunit.Abstractions;
using static Ledger.Testing.KafkaTestMessages;

namespace Ledger.Messaging.Tests.Consumers.Audit;

/// <summary>
/// What every audit consumer test starts from: its own embedded Kafka with the ledger's topics (3 partitions), its own
/// PostgreSQL database, and a way to run <see cref="AuditConsumer"/> instances against them as hosted services.
/// </summary>
public abstract class AuditConsumerScenario : IAsyncLifetime
{
    private readonly ITestOutputHelper _output;
    private readonly List<AuditConsumer> _consumers = [];

    protected AuditConsumerScenario(ITestOutputHelper output)
    {
        _output = output;
        Kafka = LedgerKafka.Start(partitions: 3, new TestOutputLogger<EmbeddedKafka>(output));
        DataSource = NpgsqlDataSource.Create(PostgresServer.CreateDatabase());
        Store = new AuditLogStore(DataSource);
        Gaps = new ConsumerGapStore(DataSource);
        Producer = CreateProducer(Kafka);
    }

    protected EmbeddedKafka Kafka { get; }

    protected NpgsqlDataSource DataSource { get; }

    protected AuditLogStore Store { get; }

    protected ConsumerGapStore Gaps { get; }

    protected IProducer<string, byte[]> Producer { get; }

    /// <summary>What the host's start does (ADR-015): the stores expect their tables.</summary>
    public async Task InitializeAsync()
    {
        await Store.CreateTablesAsync();
        await Gaps.CreateTablesAsync();
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

    protected async Task<AuditConsumer> StartConsumerAsync()
    {
        var consumer = new AuditConsumer(new KafkaConnection(Kafka.BootstrapServers, Embedded: true), Options.Create(new KafkaOptions { ConsumerSessionTimeoutMs = 3_000 }),
            Store, Gaps, TimeProvider.System, new TestOutputLogger<AuditConsumer>(_output));
        _consumers.Add(consumer);
        await consumer.StartAsync(CancellationToken.None);
        return consumer;
    }

    protected async Task<IReadOnlyList<DeliveryResult<string, byte[]>>> ProduceAllAsync(params Message<string, byte[]>[] messages)
    {
        var delivered = new List<DeliveryResult<string, byte[]>>();
        foreach (var message in messages)
        {
            // One at a time, so messages on one key keep the order given here.
            delivered.Add(await Producer.ProduceAccountEventAsync(message));
        }

        return delivered;
    }

    protected Task<AuditStatus> WaitForStatusAsync(Func<AuditStatus, bool> reached, TimeSpan? patience = null) =>
        Eventually.ReachesAsync(() => Store.StatusAsync(), reached, "the audit status", patience ?? Patience);

    /// <summary>The row of a ce_id: account, version, type, the payload's amount (null for events without one), topic, partition, offset.</summary>
    protected async Task<(Guid, long, string, string?, string, int, long)> ReadRowAsync(Guid eventId)
    {
        await using var command = DataSource.CreateCommand(
            $"select account_id, stream_version, type, payload->>'amount', topic, partition, \"offset\" from {AuditLogStore.Schema}.audit_log where ce_id = $1");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = eventId });
        await using var reader = await command.ExecuteReaderAsync();
        (await reader.ReadAsync()).Should().BeTrue();
        return (reader.GetGuid(0), reader.GetInt64(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetString(4),
            reader.GetInt32(5), reader.GetInt64(6));
    }

    /// <summary>Sends logs to the test's output, which xunit shows when a test fails.</summary>
    private sealed class TestOutputLogger<T>(ITestOutputHelper output) : ILogger<T>
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            try
            {
                output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {typeof(T).Name} {logLevel}: {formatter(state, exception)}{(exception is null ? "" : $" {exception}")}");
            }
            catch (InvalidOperationException)
            {
                // A librdkafka or consumer thread may log after the test finished; xunit then has no test to attach it to.
            }
        }
    }
}
