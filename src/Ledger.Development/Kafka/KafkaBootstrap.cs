using Ledger.Contracts;
using Ledger.Messaging;
using Microsoft.Extensions.Logging;

namespace Ledger.Development.Kafka;

/// <summary>
/// Decides where this process reaches Kafka: the configured cluster, or, where <see cref="EmbeddedInfrastructure"/> allows
/// it, an embedded broker (librdkafka's mock cluster) started here when <c>Kafka:BootstrapServers</c> is empty. Elsewhere
/// an empty setting is refused while the relay or the consumers run, and means "no Kafka" when neither does.
/// </summary>
public static partial class KafkaBootstrap
{
    public static (KafkaConnection Connection, EmbeddedKafka? Embedded) Resolve(KafkaOptions options, EmbeddedInfrastructure infrastructure,
        ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(infrastructure);
        if (!string.IsNullOrWhiteSpace(options.BootstrapServers))
        {
            // Topics on a real cluster are created by TopicProvisioner in the background, so a Kafka outage never
            // stops the ledger from starting.
            return (new KafkaConnection(options.BootstrapServers, Embedded: false), null);
        }

        if (!infrastructure.Allowed)
        {
            // Without the relay and the consumers nothing here talks to Kafka; with either, RequireSettings refuses.
            infrastructure.RequireSettings(configuration: null, options);
            return (new KafkaConnection("", Embedded: false), null);
        }

        var embedded = EmbeddedKafka.Start(logger: logger);
        foreach (var topic in KafkaTopics.All)
        {
            embedded.CreateTopic(topic, options.Partitions);
        }

        LogEmbedded(logger, embedded.BootstrapServers);
        return (new KafkaConnection(embedded.BootstrapServers, Embedded: true), embedded);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedded Kafka listening on {BootstrapServers} (librdkafka mock cluster; consume with: kcat -C -b {BootstrapServers} -t ledger.account-events)")]
    private static partial void LogEmbedded(ILogger logger, string bootstrapServers);
}
