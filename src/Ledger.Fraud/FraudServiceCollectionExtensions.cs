using Ledger.Messaging;
using Ledger.Messaging.Consumers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Ledger.Fraud;

public static class FraudServiceCollectionExtensions
{
    /// <summary>Retries of one freeze on a transient failure (5xx, 408, 429, no connection, an attempt timed out).</summary>
    public const int FreezeRetriesMax = 2;

    public static readonly TimeSpan FreezeAttemptTimeout = TimeSpan.FromSeconds(10);

    public static readonly TimeSpan FreezeTotalTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The fraud consumer and the loop that issues the freezes its rules ask for (<see cref="FraudFreezes"/>, idle when no
    /// rule freezes) as hosted services, their <c>Fraud</c> options (validated at start), the store and the HTTP client to
    /// the API. The host provides <see cref="KafkaConnection"/>, <c>IOptions&lt;KafkaOptions&gt;</c>,
    /// <c>NpgsqlDataSource</c> and <see cref="TimeProvider"/>. Its lag is the <c>ledger.consumer.lag</c> metric.
    /// </summary>
    public static IServiceCollection AddFraudConsumer(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddFraudAlertReads();
        services.AddOptions<FraudOptions>().Bind(configuration.GetSection(FraudOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FraudOptions>, FraudOptionsValidator>());
        services.TryAddSingleton<FraudConsumer>();
        services.AddHostedService(provider => provider.GetRequiredService<FraudConsumer>());
        services.TryAddSingleton<FraudFreezes>();
        services.AddHostedService(provider => provider.GetRequiredService<FraudFreezes>());
        services.TryAddSingleton<FraudFreezeClient>();
        services.AddHttpClient(FraudFreezeClient.HttpClientName, (provider, http) =>
            {
                var api = provider.GetRequiredService<IOptions<FraudOptions>>().Value.Actions.ApiUrl;
                if (!string.IsNullOrWhiteSpace(api))
                {
                    http.BaseAddress = new Uri(api.TrimEnd('/') + "/");
                }
            })
            .AddStandardResilienceHandler(resilience =>
            {
                // A freeze is keyed by its alert (Idempotency-Key), so sending it again is safe. Past these, the loop waits
                // and tries again (FraudFreezes).
                resilience.Retry.MaxRetryAttempts = FreezeRetriesMax;
                resilience.Retry.Delay = TimeSpan.FromMilliseconds(500);
                resilience.AttemptTimeout.Timeout = FreezeAttemptTimeout;
                resilience.TotalRequestTimeout.Timeout = FreezeTotalTimeout;
                resilience.CircuitBreaker.SamplingDuration = FreezeTotalTimeout;
            });
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
