using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Ledger.Contracts;
using Ledger.Messaging.Kafka;
using Microsoft.Extensions.Logging;

namespace Ledger.Messaging;

/// <summary>
/// Decides where this process reaches Kafka: the configured cluster, or an embedded broker (librdkafka's mock cluster)
/// started here when <c>Kafka:BootstrapServers</c> is empty. Either way the ledger's topics exist afterwards.
/// </summary>
public static partial class KafkaBootstrap
{
    public static (KafkaConnection Connection, EmbeddedKafka? Embedded) Resolve(KafkaOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!string.IsNullOrWhiteSpace(options.BootstrapServers))
        {
            // Topics on a real cluster are created by TopicProvisioner in the background, so a Kafka outage never
            // stops the ledger from starting.
            return (new KafkaConnection(options.BootstrapServers, Embedded: false), null);
        }

        var embedded = EmbeddedKafka.Start(logger: logger);
        foreach (var topic in KafkaTopics.All)
        {
            embedded.CreateTopic(topic, options.Partitions);
        }

        LogEmbedded(logger, embedded.BootstrapServers);
        return (new KafkaConnection(embedded.BootstrapServers, Embedded: true), embedded);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedded Kafka listening on {BootstrapServers} (librdkafka mock cluster; consume with: kcat -C -b {BootstrapServers} -t ledger.account-events)")]
    private static partial void LogEmbedded(ILogger logger, string bootstrapServers);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created Kafka topics {Topics} on {BootstrapServers}")]
    private static partial void LogTopicsCreated(ILogger logger, string topics, string bootstrapServers);
}
