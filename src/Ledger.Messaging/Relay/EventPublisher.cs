using Confluent.Kafka;
using Ledger.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Ledger.Messaging.Relay;

/// <summary>
/// The relay's one long-lived, idempotent producer. <see cref="PublishAsync"/> returns only when Kafka has acknowledged
/// every message (<c>acks=all</c>); while Kafka is unavailable it keeps retrying, so the caller's checkpoint never moves
/// past an event that is not on the topic. A fatal error (the idempotent producer can no longer guarantee order or
/// uniqueness, e.g. after the broker lost its producer state) ends a producer for good: librdkafka fails every later
/// message at once, so the publisher replaces it with a new one (a new producer id) and publishes again from the first
/// unacknowledged message, as after any other failure.
/// </summary>
public sealed partial class EventPublisher : IDisposable
{
    private readonly ProducerConfig _config;
    private readonly KafkaOptions _options;
    private readonly ILogger<EventPublisher> _logger;
    private readonly KafkaErrorFilter _errors = new();
    private readonly Lock _gate = new();
    private ProducerSlot _slot;
    private bool _disposed;
    private int _replaced;

    public EventPublisher(KafkaConnection connection, IOptions<KafkaOptions> options, ILogger<EventPublisher> logger)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _logger = logger;
        _config = ProducerConfig(connection.BootstrapServers, _options);
        _slot = Build();
    }

    /// <summary>The librdkafka handle of the producer in use (it changes when a fatal error replaces the producer).</summary>
    public Handle Handle
    {
        get
        {
            lock (_gate)
            {
                return _slot.Producer.Handle;
            }
        }
    }

    /// <summary>How many times a fatal error made the publisher replace its producer.</summary>
    public int ProducersReplaced => Volatile.Read(ref _replaced);

    public static ProducerConfig ProducerConfig(string bootstrapServers, KafkaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            ClientId = "ledger-relay",
            EnableIdempotence = true,
            Acks = Acks.All,
            MaxInFlight = 5,
            LingerMs = options.LingerMs,
            BatchSize = options.BatchSizeBytes,
            BatchNumMessages = options.BatchMessagesMax,
            MessageTimeoutMs = options.MessageTimeoutMs,
            RequestTimeoutMs = options.RequestTimeoutMs,
            SocketTimeoutMs = options.SocketTimeoutMs,
            MessageSendMaxRetries = int.MaxValue,
            RetryBackoffMs = 100,
            RetryBackoffMaxMs = 1_000,
            CompressionType = CompressionType.None,
            // The same key lands on the same partition as with Java clients.
            Partitioner = Partitioner.Murmur2Random,
        };
    }

    /// <summary>
    /// Publishes the messages in order and waits for every acknowledgement. After a failure it waits (backing off up to
    /// <see cref="KafkaOptions.RetryBackoffMaxMs"/>) and publishes again from the first unacknowledged message: what was
    /// acknowledged stays, anything after may be published twice, with the same <c>ce_id</c>.
    /// </summary>
    public async Task PublishAsync(IReadOnlyList<Message<string, byte[]>> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var from = 0;
        var backoff = TimeSpan.FromMilliseconds(200);
        while (from < messages.Count)
        {
            var slot = Current();
            var deliveries = new Task<DeliveryResult<string, byte[]>>[messages.Count - from];
            for (var i = from; i < messages.Count; i++)
            {
                deliveries[i - from] = slot.Producer.ProduceAsync(KafkaTopics.AccountEvents, messages[i], cancellationToken);
            }

            var firstFailed = -1;
            for (var i = 0; i < deliveries.Length; i++)
            {
                try
                {
                    // Confluent's own token only covers enqueueing; shutdown must not wait out message.timeout.ms.
                    await deliveries[i].WaitAsync(cancellationToken);
                }
                catch (ProduceException<string, byte[]> exception) when (!cancellationToken.IsCancellationRequested)
                {
                    if (firstFailed < 0)
                    {
                        firstFailed = from + i;
                        LogDeliveryFailed(_logger, exception.Error.Code, exception.Error.Reason, messages.Count - firstFailed, backoff.TotalMilliseconds);
                    }
                }
            }

            if (firstFailed < 0)
            {
                return;
            }

            from = firstFailed;
            if (slot.Fatal)
            {
                Replace(slot);
            }

            await Task.Delay(backoff, cancellationToken);
            backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, _options.RetryBackoffMaxMs));
        }
    }

    /// <summary>
    /// librdkafka reports every failed connection attempt; while Kafka is down that is several a second. Fatal errors are
    /// logged as errors; the others only when their kind changes (a delivery failure is logged by PublishAsync anyway).
    /// </summary>
    private void OnClientError(ProducerSlot slot, Error error)
    {
        if (error.IsFatal)
        {
            slot.Fatal = true;
            LogFatalClientError(_logger, error.Code, error.Reason);
        }
        else if (_errors.ShouldLog(error))
        {
            LogClientError(_logger, error.Code, error.Reason);
        }
    }

    public void Dispose()
    {
        IProducer<string, byte[]> producer;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            producer = _slot.Producer;
        }

        // Give in-flight messages a moment; anything not acknowledged is published again after restart anyway.
        producer.Flush(TimeSpan.FromSeconds(1));
        producer.Dispose();
    }

    private ProducerSlot Build()
    {
        var slot = new ProducerSlot();
        slot.Producer = new ProducerBuilder<string, byte[]>(_config)
            .SetErrorHandler((_, error) => OnClientError(slot, error))
            .SetLogHandler((_, message) => KafkaLog.Write(_logger, message))
            .Build();
        return slot;
    }

    private ProducerSlot Current()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _slot;
        }
    }

    /// <summary>
    /// Replaces a producer that had a fatal error, once however many callers saw it fail. Its messages have all failed
    /// already (librdkafka fails what is queued when the error is raised), so nothing waits on it any more.
    /// </summary>
    private void Replace(ProducerSlot failed)
    {
        lock (_gate)
        {
            if (_disposed || !ReferenceEquals(_slot, failed))
            {
                return;
            }

            _slot = Build();
            Interlocked.Increment(ref _replaced);
        }

        LogProducerReplaced(_logger);
        failed.Producer.Dispose();
    }

    /// <summary>A producer and whether librdkafka has reported a fatal error for it (its error handler sets the flag).</summary>
    private sealed class ProducerSlot
    {
        public IProducer<string, byte[]> Producer { get; set; } = null!;

        public volatile bool Fatal;
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "Fatal Kafka producer error {Code}: {Reason}")]
    private static partial void LogFatalClientError(ILogger logger, ErrorCode code, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kafka client error {Code}: {Reason} (repeats of this kind are not logged)")]
    private static partial void LogClientError(ILogger logger, ErrorCode code, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The Kafka producer had a fatal error and was replaced by a new one; publishing resumes from the first unacknowledged message")]
    private static partial void LogProducerReplaced(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivery failed ({Code}: {Reason}); {Remaining} messages will be published again in {DelayMs} ms")]
    private static partial void LogDeliveryFailed(ILogger logger, ErrorCode code, string reason, int remaining, double delayMs);
}
