using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Ledger.Contracts;

namespace Ledger.Bench.Compare;

/// <summary>
/// Relay lag under a steady load: for each transfer message on <c>ledger.account-events</c>, its producer timestamp (when
/// the relay handed it to its producer) and its arrival at a consumer here, each minus the event's <c>ce_time</c> (the
/// instant the API decided the transfer, just before its commit). Both clocks are this machine's.
/// </summary>
internal sealed record RelayLagResult(TransferRun Load, long Messages, LatencySummary ProducedAfterDecision, LatencySummary ArrivedAfterDecision,
    double RelayCaughtUpSeconds);

/// <summary>
/// A consumer outside any group, assigned every partition of the topic at its current end, collecting on its own thread
/// until stopped.
/// </summary>
internal sealed class RelayLagProbe : IDisposable
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

    private readonly IConsumer<string, byte[]> _consumer;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<double> _produced = new(65_536);
    private readonly List<double> _arrived = new(65_536);
    private readonly Thread _thread;
    private long _messages;

    private RelayLagProbe(IConsumer<string, byte[]> consumer)
    {
        _consumer = consumer;
        _thread = new Thread(Collect) { IsBackground = true, Name = "relay-lag-probe" };
    }

    public long Messages => Interlocked.Read(ref _messages);

    public static RelayLagProbe Start(string bootstrapServers)
    {
        var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = $"ledger-bench-relay-lag-{Guid.NewGuid():N}",
            EnableAutoCommit = false,
            FetchWaitMaxMs = 10,
            FetchMinBytes = 1,
        }).Build();
        using (var admin = new DependentAdminClientBuilder(consumer.Handle).Build())
        {
            var partitions = admin.GetMetadata(KafkaTopics.AccountEvents, TimeSpan.FromSeconds(30)).Topics.Single().Partitions;
            consumer.Assign(partitions.Select(partition =>
            {
                var topicPartition = new TopicPartition(KafkaTopics.AccountEvents, partition.PartitionId);
                return new TopicPartitionOffset(topicPartition, consumer.QueryWatermarkOffsets(topicPartition, TimeSpan.FromSeconds(30)).High);
            }));
        }

        var probe = new RelayLagProbe(consumer);
        probe._thread.Start();
        return probe;
    }

    /// <summary>Waits until <paramref name="expected"/> messages arrived or <paramref name="limit"/> passed, then stops collecting.</summary>
    public async Task<(List<double> Produced, List<double> Arrived)> StopAsync(long expected, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (Messages < expected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(Poll);
        }

        await _stop.CancelAsync();
        _thread.Join();
        return (_produced, _arrived);
    }

    public void Dispose()
    {
        _stop.Cancel();
        if (_thread.IsAlive)
        {
            _thread.Join();
        }

        _consumer.Close();
        _consumer.Dispose();
        _stop.Dispose();
    }

    private void Collect()
    {
        while (!_stop.IsCancellationRequested)
        {
            if (_consumer.Consume(Poll) is not { IsPartitionEOF: false, Message: { } message })
            {
                continue;
            }

            var arrived = DateTime.UtcNow;
            if (Header(message.Headers, CloudEventHeaders.Type) != CloudEventTypes.MoneyTransferred ||
                Header(message.Headers, CloudEventHeaders.Time) is not { } time)
            {
                continue;
            }

            var decided = DateTime.Parse(time, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
            if (message.Timestamp.Type != TimestampType.NotAvailable)
            {
                _produced.Add((message.Timestamp.UtcDateTime - decided).TotalMilliseconds);
            }

            _arrived.Add((arrived - decided).TotalMilliseconds);
            Interlocked.Increment(ref _messages);
        }
    }

    private static string? Header(Headers headers, string name) =>
        headers.TryGetLastBytes(name, out var bytes) ? Encoding.UTF8.GetString(bytes) : null;
}
