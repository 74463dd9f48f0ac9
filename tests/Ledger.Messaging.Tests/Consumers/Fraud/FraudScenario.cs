using System.Globalization;
using Confluent.Kafka;
using Ledger.Contracts;
using Ledger.Contracts.V1;
using Ledger.Development.Kafka;
using Ledger.Fraud;
using Ledger.Messaging.Consumers;
using Ledger.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Xunit.Abstractions;

namespace Ledger.Messaging.Tests.Consumers.Fraud;

/// <summary>Account events for the fraud tests, at chosen event times.</summary>
internal static class FraudMessages
{
    public static readonly DateTimeOffset T0 = new(2026, 3, 2, 14, 0, 0, TimeSpan.Zero);

    /// <summary>What the scenario's clock says: every alert's detectedAt.</summary>
    public static readonly DateTimeOffset DetectedAt = new(2026, 3, 2, 14, 30, 0, 123, TimeSpan.Zero);

    public static Message<string, byte[]> Withdrawal(Guid account, long version, string amount, DateTimeOffset at) =>
        KafkaTestMessages.AccountEvent(CloudEventTypes.MoneyWithdrawn, new MoneyWithdrawnV1(account, amount, "EUR", null, at), version);

    public static Message<string, byte[]> Deposit(Guid account, long version, string amount, DateTimeOffset at) =>
        KafkaTestMessages.AccountEvent(CloudEventTypes.MoneyDeposited, new MoneyDepositedV1(account, amount, "EUR", null, at), version);

    public static Message<string, byte[]> TransferOut(Guid account, long version, string amount, DateTimeOffset at) =>
        KafkaTestMessages.AccountEvent(CloudEventTypes.MoneyTransferred, new MoneyTransferredV1(account, Guid.NewGuid(), account, Guid.NewGuid(),
            MoneyTransferredV1.Debit, amount, "EUR", null, at), version);

}

internal sealed record StoredAlert(Guid AlertId, string Rule, Guid[] EventIds, string Amount, DateTimeOffset OccurredAt, bool Published);

/// <summary>One embedded cluster, one database, and the consumer as the host would build it through AddFraudConsumer.</summary>
internal sealed class FraudScenario : IAsyncDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly IProducer<string, byte[]> _producer;
    private ServiceProvider? _host;
    private List<IHostedService> _hosted = [];

    private FraudScenario(ITestOutputHelper output)
    {
        _output = output;
        Kafka = LedgerKafka.Start();
        _producer = KafkaTestMessages.CreateProducer(Kafka);
        DataSource = NpgsqlDataSource.Create(PostgresServer.CreateDatabase());
        Store = new FraudStore(DataSource);
    }

    public EmbeddedKafka Kafka { get; }

    public NpgsqlDataSource DataSource { get; }

    public FraudStore Store { get; }

    public static async Task<FraudScenario> StartAsync(ITestOutputHelper output, bool startConsumer = true)
    {
        var scenario = new FraudScenario(output);
        // What the host's start does (ADR-015): the store and the consumer loop expect their tables.
        await scenario.Store.CreateTablesAsync(CancellationToken.None);
        await new ConsumerGapStore(scenario.DataSource).CreateTablesAsync();
        if (startConsumer)
        {
            await scenario.StartConsumerAsync();
        }

        return scenario;
    }

    public async Task StartConsumerAsync()
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddProvider(new OutputLoggerProvider(_output)).SetMinimumLevel(LogLevel.Debug));
        services.AddSingleton(new KafkaConnection(Kafka.BootstrapServers, Embedded: true));
        // The embedded broker lets a restarted member rejoin only after the session timeout less about 1 s.
        services.AddSingleton(Options.Create(new KafkaOptions { ConsumerSessionTimeoutMs = 2_000 }));
        services.AddSingleton(DataSource);
        services.AddSingleton<TimeProvider>(new FixedClock(FraudMessages.DetectedAt));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            // Bound from configuration like in a host; the same values as the defaults except the added currency.
            ["Fraud:LargeDebit:Thresholds:SEK"] = "100000",
            ["Fraud:Velocity:DebitsMax"] = "5",
            ["Fraud:DepositDrain:Window"] = "01:00:00",
        }).Build();
        services.AddFraudConsumer(configuration);
        _host = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        _host.GetRequiredService<IOptions<FraudOptions>>().Value.LargeDebit.Thresholds.Should().ContainKeys("EUR", "SEK");
        // The consumer and the loop that issues freezes (idle here: no rule freezes).
        _hosted = [.. _host.GetServices<IHostedService>()];
        _hosted.Select(service => service.GetType()).Should().BeEquivalentTo([typeof(FraudConsumer), typeof(FraudFreezes)]);
        foreach (var service in _hosted)
        {
            await service.StartAsync(CancellationToken.None);
        }
    }

    public async Task StopConsumerAsync()
    {
        foreach (var service in _hosted)
        {
            await service.StopAsync(CancellationToken.None);
        }

        _hosted = [];

        if (_host is not null)
        {
            await _host.DisposeAsync();
            _host = null;
        }
    }

    public Task<DeliveryResult<string, byte[]>> ProduceAsync(Message<string, byte[]> message) => _producer.ProduceAccountEventAsync(message);

    public Task<IReadOnlyList<StoredAlert>> WaitForPublishedAlertsAsync(int count, TimeSpan? patience = null) =>
        Eventually.ReachesAsync(AlertsAsync, alerts => alerts.Count >= count && alerts.All(alert => alert.Published),
            $"{count} published alert(s)", patience ?? KafkaTestMessages.Patience);

    public async Task WaitForMovementAsync(string table, int count) =>
        await Eventually.HoldsAsync(async () => await ScalarAsync($"select count(*) from ledger_fraud.{table}") >= count,
            $"{count} row(s) in {table}", KafkaTestMessages.Patience);

    /// <summary>Rows in one of the consumer's tables now.</summary>
    public Task<long> CountAsync(string table) => ScalarAsync($"select count(*) from ledger_fraud.{table}");

    public async Task<IReadOnlyList<StoredAlert>> AlertsAsync()
    {
        await using var command = DataSource.CreateCommand(
            "select alert_id, rule, event_ids, amount, occurred_at, published from ledger_fraud.alerts order by detected_at, alert_id");
        await using var reader = await command.ExecuteReaderAsync();
        var alerts = new List<StoredAlert>();
        while (await reader.ReadAsync())
        {
            alerts.Add(new StoredAlert(reader.GetGuid(0), reader.GetString(1), reader.GetFieldValue<Guid[]>(2), reader.GetString(3),
                reader.GetFieldValue<DateTimeOffset>(4), reader.GetBoolean(5)));
        }

        return alerts;
    }

    public IReadOnlyList<ConsumeResult<string, byte[]>> ReadAlertMessages(int count) => KafkaTestMessages.ReadTopic(Kafka, KafkaTopics.FraudAlerts, count);

    /// <summary>Messages on the alert topic, summed over partitions, without waiting for more to come.</summary>
    public long AlertMessageCount()
    {
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = Kafka.BootstrapServers,
            GroupId = $"fraud-tests-{Guid.NewGuid():N}",
        }).Build();
        using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        return admin.GetMetadata(KafkaTopics.FraudAlerts, KafkaTestMessages.Patience).Topics.Single().Partitions
            .Sum(partition => consumer.QueryWatermarkOffsets(new TopicPartition(KafkaTopics.FraudAlerts, partition.PartitionId),
                KafkaTestMessages.Patience).High.Value);
    }

    public async ValueTask DisposeAsync()
    {
        await StopConsumerAsync();
        _producer.Dispose();
        await DataSource.DisposeAsync();
        Kafka.Dispose();
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
}

internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

internal sealed class OutputLoggerProvider(ITestOutputHelper output) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new OutputLogger(output, categoryName);

    public void Dispose()
    {
    }
}

internal sealed class OutputLogger(ITestOutputHelper output, string category) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        try
        {
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
        }
        catch (InvalidOperationException)
        {
            // A background thread may log after the test finished.
        }
    }
}
