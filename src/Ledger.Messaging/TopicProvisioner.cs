using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Ledger.Contracts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Ledger.Messaging;

/// <summary>
/// Creates the ledger's missing topics on a configured cluster, retrying until Kafka answers: the ledger must start and
/// take commands while Kafka is down (the relay catches up later), so this never blocks or fails start-up.
/// </summary>
public sealed partial class TopicProvisioner(KafkaConnection connection, IOptions<KafkaOptions> options, ILogger<TopicProvisioner> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The embedded broker got its topics when it started; no servers means neither the relay nor the consumers run.
        if (connection.Embedded || string.IsNullOrWhiteSpace(connection.BootstrapServers))
        {
            return;
        }

        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // The admin client's calls block and ignore cancellation: run them aside so shutdown never waits for them.
                await Task.Run(() => EnsureTopicsAsync(connection.BootstrapServers, options.Value, logger), CancellationToken.None)
                    .WaitAsync(stoppingToken);
                return;
            }
            catch (Exception exception) when (exception is KafkaException or CreateTopicsException)
            {
                LogRetry(logger, exception, connection.BootstrapServers, delay.TotalSeconds);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, 30));
            }
        }
    }

    /// <summary>Creates the ledger's topics that are missing; existing topics are left as they are. Throws if Kafka does not answer.</summary>
    public static async Task EnsureTopicsAsync(string bootstrapServers, KafkaOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var admin = new AdminClientBuilder(new AdminClientConfig
        {
            BootstrapServers = bootstrapServers,
            ClientId = "ledger-admin",
            SocketTimeoutMs = options.SocketTimeoutMs,
        }).SetLogHandler((_, message) => KafkaLog.Write(logger, message)).Build();
        var existing = admin.GetMetadata(TimeSpan.FromMilliseconds(options.RequestTimeoutMs)).Topics.Select(topic => topic.Topic).ToHashSet(StringComparer.Ordinal);
        var missing = KafkaTopics.All.Where(topic => !existing.Contains(topic))
            .Select(topic => new TopicSpecification { Name = topic, NumPartitions = options.Partitions, ReplicationFactor = options.ReplicationFactor })
            .ToList();
        if (missing.Count == 0)
        {
            return;
        }

        try
        {
            await admin.CreateTopicsAsync(missing);
        }
        catch (CreateTopicsException exception) when (exception.Results.All(result =>
                                                         result.Error.Code is ErrorCode.NoError or ErrorCode.TopicAlreadyExists))
        {
            // Another node created them first.
        }

        LogTopicsCreated(logger, string.Join(", ", missing.Select(topic => topic.Name)), bootstrapServers);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created Kafka topics {Topics} on {BootstrapServers}")]
    private static partial void LogTopicsCreated(ILogger logger, string topics, string bootstrapServers);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not create the ledger's topics on {BootstrapServers}; retrying in {DelaySeconds} s")]
    private static partial void LogRetry(ILogger logger, Exception exception, string bootstrapServers, double delaySeconds);
}
