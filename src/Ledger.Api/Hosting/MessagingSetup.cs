using JasperFx.Events.Daemon;
using Ledger.AuditLog;
using Ledger.Development;
using Ledger.Development.Kafka;
using Ledger.Fraud;
using Ledger.Messaging;
using Ledger.Messaging.Relay;
using Marten;

namespace Ledger.Api.Hosting;

/// <summary>
/// Kafka for the API: the configured cluster or an embedded broker, the relay (a Marten subscription run by the async
/// daemon in HotCold mode: one node of those on the database publishes at a time, ADR-019), and its status.
/// </summary>
public static class MessagingSetup
{
    public static (KafkaOptions Options, KafkaConnection Connection, EmbeddedKafka? Embedded) Resolve(IConfiguration configuration,
        EmbeddedInfrastructure infrastructure, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(loggers);
        var options = KafkaOptions.Read(configuration);
        var (connection, embedded) = KafkaBootstrap.Resolve(options, infrastructure, loggers.CreateLogger("Ledger.Kafka"));
        return (options, connection, embedded);
    }

    /// <summary>The fraud and audit consumers in this process (the default with embedded Kafka), or only their read side.</summary>
    public static void AddConsumers(this IServiceCollection services, IConfiguration configuration, KafkaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ConsumersEnabled)
        {
            services.AddAuditConsumer();
            services.AddFraudConsumer(configuration);
        }
        else
        {
            services.AddAuditLogReads();
            services.AddFraudAlertReads();
        }
    }

    public static void AddRelay(this MartenServiceCollectionExtensions.MartenConfigurationExpression marten, IServiceCollection services,
        KafkaConnection connection, KafkaOptions options)
    {
        ArgumentNullException.ThrowIfNull(marten);
        services.AddSingleton(connection);
        services.AddKafkaOptions();
        services.AddHostedService<TopicProvisioner>();
        services.AddSingleton<RelayStatusQuery>();
        if (!options.RelayEnabled)
        {
            return;
        }

        services.AddSingleton<RelayMetrics>();
        services.AddSingleton<EventPublisher>();
        marten.AddSubscriptionWithServices<RelaySubscription>(ServiceLifetime.Singleton)
            .AddAsyncDaemon(DaemonMode.HotCold);
    }
}
