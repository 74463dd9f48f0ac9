using System.Diagnostics;
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
/// A message whose offset is past the one expected next on its partition means the messages between were gone from the
/// broker when the group came to read them (retention; librdkafka then resets to the log start with
/// <c>auto.offset.reset=earliest</c>): the loop records that gap in <see cref="ConsumerGapStore"/>, logs an error and counts
/// the messages in <c>ledger.consumer.lost_messages</c>, then goes on (ADR-010).
/// </summary>
public abstract partial class ConsumerLoop : BackgroundService
{
    public const string MeterName = "Ledger.Consumers";

    /// <summary>The consumers' spans: one per message processed, a child of the producer's span the message carries (ADR-022).</summary>
    public const string ActivitySourceName = MeterName;

    private static readonly ActivitySource Spans = new(ActivitySourceName);

    private static readonly Meter Meter = new(MeterName);
    private static readonly Dictionary<string, long> Lags = new(StringComparer.Ordinal);
    private static readonly ObservableGauge<long> LagGauge = Meter.CreateObservableGauge("ledger.consumer.lag", ObserveLags, "{message}",
        "Messages on the topic not yet processed, per consumer group.");
    private static readonly Counter<long> LostMessages = Meter.CreateCounter<long>("ledger.consumer.lost_messages", "{message}",
        "Messages gone from Kafka (retention) before the consumer group read them, per group; each gap is in ledger_consumers.gaps.");
    private static readonly Counter<long> DeadLetters = Meter.CreateCounter<long>("ledger.consumer.dead_letters", "{message}",
        "Messages the consumer group could never process, sent to the dead-letter topic, per group.");

    private readonly KafkaConnection _connection;
    private readonly KafkaOptions _options;
    private readonly ConsumerGapStore _gaps;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;

    // Per assigned partition: the offset expected next and the sequence of the last message processed. Touched only by
    // the loop's thread (rebalance handlers run inside Consume).
    private readonly Dictionary<TopicPartition, PartitionPosition> _positions = [];

    protected ConsumerLoop(KafkaConnection connection, IOptions<KafkaOptions> options, ConsumerGapStore gaps, TimeProvider clock, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _connection = connection;
        _options = options.Value;
        _gaps = gaps;
        _clock = clock;
        _logger = logger;
    }

    /// <summary>The clock that stamps what the consumer records.</summary>
    protected TimeProvider Clock => _clock;

    /// <summary>The consumer group, e.g. <c>ledger-audit</c>.</summary>
    protected abstract string GroupId { get; }

    /// <summary>Processes one message; returns once its effect is durable. Throws <see cref="PoisonMessageException"/> for a message that can never succeed.</summary>
    protected abstract Task HandleAsync(ConsumeResult<string, byte[]> result, CancellationToken cancellationToken);

    /// <summary>
    /// Confluent's <c>Consume</c> blocks its thread, so the loop runs from start to end on a thread of its own and waits
    /// there for each handler: an async loop would go on, after its first await, on a pool thread and hold it blocked in
    /// <c>Consume</c> for as long as the consumer runs, starving the requests and timers that share the pool. The thread
    /// has no synchronization context, so waiting on the handlers cannot deadlock; their continuations run on the pool.
    /// </summary>
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Run(stoppingToken);
                finished.TrySetResult();
            }
            catch (Exception exception)
            {
                finished.TrySetException(exception);
            }
        })
        {
            IsBackground = true,
            Name = $"Kafka consumer {GroupId}",
        };
        thread.Start();
        return finished.Task;
    }

    private void Run(CancellationToken stoppingToken)
    {
        // Every group's counters exist from the start at zero, so that Prometheus's increase() sees the first one counted.
        var group = new KeyValuePair<string, object?>("group", GroupId);
        DeadLetters.Add(0, group);
        LostMessages.Add(0, group);
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
            // Instances of a group share its partitions; each says which it took, so an operator sees how they are spread.
            .SetPartitionsAssignedHandler((_, assigned) => LogAssigned(_logger, GroupId, string.Join(", ", assigned.Select(p => p.Partition.Value))))
            .SetPartitionsRevokedHandler((_, revoked) => Forget(revoked.Select(offset => offset.TopicPartition)))
            .SetPartitionsLostHandler((_, lost) => Forget(lost.Select(offset => offset.TopicPartition)))
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
                backoff = ConsumeOne(consumer, deadLetters, backoff, stoppingToken);
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
    private TimeSpan ConsumeOne(IConsumer<string, byte[]> consumer, IProducer<string, byte[]> deadLetters, TimeSpan backoff,
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

        // Current on this thread while the message is handled, so the handler's database commands and messages are its children.
        using var span = MessageTracing.StartProcess(Spans, result, GroupId);
        try
        {
            CheckContinuityAsync(consumer, result, stoppingToken).GetAwaiter().GetResult();
            HandleAsync(result, stoppingToken).GetAwaiter().GetResult();
            consumer.StoreOffset(result);
            Processed(result);
            return TimeSpan.FromMilliseconds(100);
        }
        catch (PoisonMessageException poison)
        {
            span?.SetStatus(ActivityStatusCode.Error, poison.Message);
            DeadLetterAsync(deadLetters, result, poison.Message, stoppingToken).GetAwaiter().GetResult();
            consumer.StoreOffset(result);
            Processed(result);
            return backoff;
        }
        catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
        {
            // Not the message's fault (database down, ...): process it again from the same offset.
            span?.SetStatus(ActivityStatusCode.Error, exception.Message);
            LogRetry(_logger, exception, GroupId, result.TopicPartitionOffset.ToString(), backoff.TotalMilliseconds);
            consumer.Seek(result.TopicPartitionOffset);
            stoppingToken.WaitHandle.WaitOne(backoff);
            stoppingToken.ThrowIfCancellationRequested();
            return TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, _options.RetryBackoffMaxMs));
        }
    }

    /// <summary>
    /// Records a gap when the message is past the offset expected next on its partition: the one after the last message
    /// processed in this assignment or, for the first message, the group's committed offset. The account-events topic is
    /// written without transactions and never compacted, so on it consecutive offsets are consecutive messages.
    /// </summary>
    private async Task CheckContinuityAsync(IConsumer<string, byte[]> consumer, ConsumeResult<string, byte[]> result, CancellationToken cancellationToken)
    {
        var partition = result.TopicPartition;
        var position = _positions.GetValueOrDefault(partition);
        var expected = position is null ? CommittedOffset(consumer, partition) : position.NextOffset;
        var lastSequence = position?.LastSequence;
        if (expected is { } first && result.Offset.Value > first)
        {
            var last = result.Offset.Value - 1;
            var before = SequenceOf(result);
            // Recorded before anything moves on: if the database is down, the retry finds the same gap again.
            if (await _gaps.RecordAsync(GroupId, result.Topic, result.Partition.Value, first, last, lastSequence, before, _clock.GetUtcNow(),
                    cancellationToken))
            {
                LostMessages.Add(last - first + 1, new KeyValuePair<string, object?>("group", GroupId));
                LogLostMessages(_logger, GroupId, result.Topic, result.Partition.Value, first, last, last - first + 1, (lastSequence ?? 0) + 1,
                    before is { } next ? (next - 1).ToString(CultureInfo.InvariantCulture) : "the last event");
            }
        }

        _positions[partition] = new PartitionPosition(result.Offset.Value, lastSequence);
    }

    private void Processed(ConsumeResult<string, byte[]> result) =>
        _positions[result.TopicPartition] = new PartitionPosition(result.Offset.Value + 1, SequenceOf(result) ?? _positions.GetValueOrDefault(result.TopicPartition)?.LastSequence);

    private void Forget(IEnumerable<TopicPartition> partitions)
    {
        foreach (var partition in partitions)
        {
            _positions.Remove(partition);
        }
    }

    /// <summary>The group's committed offset on the partition, or null when it has none or the broker does not say.</summary>
    private long? CommittedOffset(IConsumer<string, byte[]> consumer, TopicPartition partition)
    {
        try
        {
            var committed = consumer.Committed([partition], TimeSpan.FromMilliseconds(_options.RequestTimeoutMs)).Single().Offset.Value;
            return committed >= 0 ? committed : null;
        }
        catch (KafkaException exception)
        {
            LogCommittedUnknown(_logger, exception, GroupId, partition.ToString());
            return null;
        }
    }

    private static long? SequenceOf(ConsumeResult<string, byte[]> result) =>
        result.Message.Headers is { } headers && headers.TryGetLastBytesOrFormer(CloudEventHeaders.Sequence, out var bytes) &&
        long.TryParse(Encoding.UTF8.GetString(bytes), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            ? sequence
            : null;

    private ConsumerConfig ConsumerConfig() => new()
    {
        BootstrapServers = _connection.BootstrapServers,
        GroupId = GroupId,
        ClientId = GroupId,
        // Not "error": librdkafka then stops the partition, and refuses a seek in that state, so the loop could only go on
        // by reassigning. From the log start, CheckContinuityAsync sees the jump and records what was skipped.
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
        DeadLetters.Add(1, new KeyValuePair<string, object?>("group", GroupId));
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

    [LoggerMessage(Level = LogLevel.Error, Message = "Consumer {Group} lost messages: {Topic} [{Partition}] offsets {FirstOffset}..{LastOffset} " +
                                                     "({Count}) were gone from Kafka (retention) before it read them. Repair: ledger relay republish " +
                                                     "--from-sequence {FromSequence} --to-sequence {ToSequence}")]
    private static partial void LogLostMessages(ILogger logger, string group, string topic, int partition, long firstOffset, long lastOffset,
        long count, long fromSequence, string toSequence);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Group} could not read its committed offset of {Partition}; a gap before its first message there goes unnoticed")]
    private static partial void LogCommittedUnknown(ILogger logger, Exception exception, string group, string partition);

    [LoggerMessage(Level = LogLevel.Information, Message = "Consumer {Group} now also reads partitions {Partitions}")]
    private static partial void LogAssigned(ILogger logger, string group, string partitions);

    [LoggerMessage(Level = LogLevel.Error, Message = "Consumer {Group} sent {Offset} to the dead-letter topic: {Reason}")]
    private static partial void LogDeadLettered(ILogger logger, string group, string offset, string reason);
}

/// <summary>Where a consumer stands on one partition: the offset it expects next, the sequence of the last message it processed.</summary>
internal sealed record PartitionPosition(long NextOffset, long? LastSequence);
