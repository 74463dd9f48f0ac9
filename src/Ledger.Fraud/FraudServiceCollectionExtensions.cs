using Ledger.Messaging;
using Ledger.Messaging.Consumers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Ledger.Fraud;

public static class FraudServiceCollectionExtensions
{
    /// <summary>
    /// The fraud consumer as a hosted service, its <c>Fraud</c> options (validated at start) and its store. The host
    /// provides <see cref="KafkaConnection"/>, <c>IOptions&lt;KafkaOptions&gt;</c>, <c>NpgsqlDataSource</c> and
    /// <see cref="TimeProvider"/>. Its lag is the <c>ledger.consumer.lag</c> metric.
    /// </summary>
    public static IServiceCollection AddFraudConsumer(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddFraudAlertReads();
        services.AddOptions<FraudOptions>().Bind(configuration.GetSection(FraudOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FraudOptions>, FraudOptionsValidator>());
        services.TryAddSingleton<FraudConsumer>();
        services.AddHostedService(provider => provider.GetRequiredService<FraudConsumer>());
        return services;
    }

    /// <summary>Only the store, for hosts that serve alerts without running the consumer (the host makes its tables ready at start: ADR-015).</summary>
    public static IServiceCollection AddFraudAlertReads(this IServiceCollection services)
    {
        services.TryAddSingleton<FraudStore>();
        services.TryAddSingleton<ConsumerGapStore>();
        return services;
    }
}
