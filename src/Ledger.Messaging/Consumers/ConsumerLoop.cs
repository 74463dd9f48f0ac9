using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Ledger.Contracts;
using Ledger.Messaging.Relay;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Ledger.Messaging.Consumers;

/// <summary>
/// The loop every consumer of <see cref="KafkaTopics.AccountEvents"/> shares. An offset is stored only after the
/// handler's effect is durable (<c>enable.auto.offset.store=false</c>), so a restart resumes without loss; a message
/// that can never be processed goes to <see cref="KafkaTopics.AccountEventsDeadLetters"/> with headers saying why and
/// where it came from, and the loop goes on. Any other failure is retried (the offset does not move) with backoff.
/// </summary>
public abstract partial class ConsumerLoop : BackgroundService
{
    public const string MeterName = "Ledger.Consumers";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Dictionary<string, long> Lags = new(StringComparer.Ordinal);
    private static readonly ObservableGauge<long> LagGauge = Meter.CreateObservableGauge("ledger.consumer.lag", ObserveLags, "{message}",
        "Messages on the topic not yet processed, per consumer group.");

    private readonly KafkaConnection _connection;
    private readonly KafkaOptions _options;
    private readonly ILogger _logger;

    protected ConsumerLoop(KafkaConnection connection, IOptions<KafkaOptions> options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _connection = connection;
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>The consumer group, e.g. <c>ledger-audit</c>.</summary>
    protected abstract string GroupId { get; }

    /// <summary>Processes one message; returns once its effect is durable. Throws <see cref="PoisonMessageException"/> for a message that can never succeed.</summary>
    protected abstract Task HandleAsync(ConsumeResult<string, byte[]> result, CancellationToken cancellationToken);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        // Confluent's Consume blocks a thread; give the loop its own instead of a pool thread.
        Task.Factory.StartNew(() => RunAsync(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        var errors = new KafkaErrorFilter();
        using var consumer = new ConsumerBuilder<string, byte[]>(ConsumerConfig())
            .SetErrorHandler((_, error) =>
            {
                if (errors.ShouldLog(error))
                {
                    LogConsumeFailed(_logger, GroupId, error.Reason);
                }
            })
            .SetLogHandler((_, message) => KafkaLog.Write(_logger, message))
            .Build();
        var deadLetterConfig = EventPublisher.ProducerConfig(_connection.BootstrapServers, _options);
        deadLetterConfig.ClientId = $"{GroupId}-dlq";
        using var deadLetters = new ProducerBuilder<string, byte[]>(deadLetterConfig)
            .SetErrorHandler((_, _) => { })
            .SetLogHandler((_, message) => KafkaLog.Write(_logger, message))
            .Build();
        consumer.Subscribe(KafkaTopics.AccountEvents);
        var backoff = TimeSpan.FromMilliseconds(100);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                backoff = await ConsumeOneAsync(consumer, deadLetters, backoff, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: fall through to Close, which commits the offsets stored so far and leaves the group at once.
        }
        finally
        {
            consumer.Close();
        }
    }

    /// <summary>Consumes and handles at most one message; returns the backoff to use after the next failure.</summary>
    private async Task<TimeSpan> ConsumeOneAsync(IConsumer<string, byte[]> consumer, IProducer<string, byte[]> deadLetters, TimeSpan backoff,
        CancellationToken stoppingToken)
    {
        ConsumeResult<string, byte[]>? result;
        try
        {
            result = consumer.Consume(TimeSpan.FromMilliseconds(250));
        }
        catch (ConsumeException exception)
        {
            LogConsumeFailed(_logger, GroupId, exception.Error.Reason);
            return backoff;
        }

        UpdateLag(consumer);
        if (result is null || result.IsPartitionEOF)
        {
            return backoff;
        }

        try
        {
            await HandleAsync(result, stoppingToken);
            consumer.StoreOffset(result);
            return TimeSpan.FromMilliseconds(100);
        }
        catch (PoisonMessageException poison)
        {
            await DeadLetterAsync(deadLetters, result, poison.Message, stoppingToken);
            consumer.StoreOffset(result);
            return backoff;
        }
        catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
        {
            // Not the message's fault (database down, ...): process it again from the same offset.
            LogRetry(_logger, exception, GroupId, result.TopicPartitionOffset.ToString(), backoff.TotalMilliseconds);
            consumer.Seek(result.TopicPartitionOffset);
            await Task.Delay(backoff, stoppingToken);
            return TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, _options.RetryBackoffMaxMs));
        }
    }

    private ConsumerConfig ConsumerConfig() => new()
    {
        BootstrapServers = _connection.BootstrapServers,
        GroupId = GroupId,
        ClientId = GroupId,
        AutoOffsetReset = AutoOffsetReset.Earliest,
        EnableAutoCommit = true,
        AutoCommitIntervalMs = 1_000,
        EnableAutoOffsetStore = false,
        EnablePartitionEof = false,
        IsolationLevel = IsolationLevel.ReadCommitted,
        SessionTimeoutMs = _options.ConsumerSessionTimeoutMs,
        HeartbeatIntervalMs = Math.Max(100, _options.ConsumerSessionTimeoutMs / 3),
        MaxPollIntervalMs = 300_000,
        SocketTimeoutMs = _options.SocketTimeoutMs,
        PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky,
    };

    private async Task DeadLetterAsync(IProducer<string, byte[]> producer, ConsumeResult<string, byte[]> result, string reason, CancellationToken cancellationToken)
    {
        var headers = new Headers();
        foreach (var header in result.Message.Headers ?? [])
        {
            headers.Add(header.Key, header.GetValueBytes());
        }

        headers.Add(CloudEventHeaders.DeadLetterReason, Encoding.UTF8.GetBytes(reason));
        headers.Add(CloudEventHeaders.DeadLetterConsumerGroup, Encoding.UTF8.GetBytes(GroupId));
        headers.Add(CloudEventHeaders.DeadLetterTopic, Encoding.UTF8.GetBytes(result.Topic));
        headers.Add(CloudEventHeaders.DeadLetterPartition, Encoding.UTF8.GetBytes(result.Partition.Value.ToString(CultureInfo.InvariantCulture)));
        headers.Add(CloudEventHeaders.DeadLetterOffset, Encoding.UTF8.GetBytes(result.Offset.Value.ToString(CultureInfo.InvariantCulture)));
        await producer.ProduceAsync(KafkaTopics.AccountEventsDeadLetters,
            new Message<string, byte[]> { Key = result.Message.Key, Value = result.Message.Value, Headers = headers }, cancellationToken);
        LogDeadLettered(_logger, GroupId, result.TopicPartitionOffset.ToString(), reason);
    }

    private void UpdateLag(IConsumer<string, byte[]> consumer)
    {
        long lag = 0;
        foreach (var partition in consumer.Assignment)
        {
            var watermarks = consumer.GetWatermarkOffsets(partition);
            var position = consumer.Position(partition);
            if (watermarks.High.Value >= 0 && position.Value >= 0)
            {
                lag += Math.Max(0, watermarks.High.Value - position.Value);
            }
        }

        lock (Lags)
        {
            Lags[GroupId] = lag;
        }
    }

    private static IEnumerable<Measurement<long>> ObserveLags()
    {
        lock (Lags)
        {
            return Lags.Select(pair => new Measurement<long>(pair.Value, new KeyValuePair<string, object?>("group", pair.Key))).ToList();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Group} could not consume: {Reason}")]
    private static partial void LogConsumeFailed(ILogger logger, string group, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Group} failed on {Offset}; retrying in {DelayMs} ms")]
    private static partial void LogRetry(ILogger logger, Exception exception, string group, string offset, double delayMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "Consumer {Group} sent {Offset} to the dead-letter topic: {Reason}")]
    private static partial void LogDeadLettered(ILogger logger, string group, string offset, string reason);
}
