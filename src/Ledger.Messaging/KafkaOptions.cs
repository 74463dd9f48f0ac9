using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Ledger.Messaging;

/// <summary>
/// <c>Kafka:*</c> settings. Every client setting that matters for delivery is set explicitly from here, never left to
/// the library's defaults.
/// </summary>
public sealed class KafkaOptions
{
    public const string Section = "Kafka";

    /// <summary>A real cluster's bootstrap servers; empty starts the embedded Kafka inside the process.</summary>
    public string? BootstrapServers { get; set; }

    /// <summary>Partitions of topics the app creates when they are missing.</summary>
    public int Partitions { get; set; } = 6;

    /// <summary>Replication factor of topics the app creates (1 for a single-node cluster).</summary>
    public short ReplicationFactor { get; set; } = 1;

    /// <summary>Whether the relay publishes committed events. Off, events stay in PostgreSQL until it is on.</summary>
    public bool RelayEnabled { get; set; } = true;

    /// <summary>Whether the fraud and audit consumers run inside this process.</summary>
    public bool ConsumersEnabled { get; set; } = true;

    public int LingerMs { get; set; } = 5;

    public int BatchSizeBytes { get; set; } = 1_000_000;

    public int BatchMessagesMax { get; set; } = 10_000;

    /// <summary>How long one delivery attempt may take before the relay retries the page.</summary>
    public int MessageTimeoutMs { get; set; } = 60_000;

    public int RequestTimeoutMs { get; set; } = 30_000;

    public int SocketTimeoutMs { get; set; } = 30_000;

    /// <summary>Upper bound of the wait between two attempts to deliver a page while Kafka is unavailable.</summary>
    public int RetryBackoffMaxMs { get; set; } = 10_000;

    /// <summary>
    /// How long a consumer may be silent before the group rebalances. Also how long a restarted consumer may wait to rejoin
    /// a group whose last member vanished, so tests that restart consumers set it low.
    /// </summary>
    public int ConsumerSessionTimeoutMs { get; set; } = 30_000;

    /// <summary>Events the relay takes from the event store per page.</summary>
    public int RelayPageSize { get; set; } = 500;

    /// <summary>
    /// Binds and validates the section, for hosts that need the settings before their container exists (to start an
    /// embedded broker with the configured partitions); throws <see cref="OptionsValidationException"/> when invalid.
    /// </summary>
    public static KafkaOptions Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = configuration.GetSection(Section).Get<KafkaOptions>() ?? new KafkaOptions();
        var problems = options.Problems();
        return problems.Count == 0 ? options : throw new OptionsValidationException(Section, typeof(KafkaOptions), problems);
    }

    /// <summary>Every problem with these settings, empty when they are valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        RequirePositive(problems, nameof(Partitions), Partitions);
        RequirePositive(problems, nameof(ReplicationFactor), ReplicationFactor);
        RequirePositive(problems, nameof(BatchSizeBytes), BatchSizeBytes);
        RequirePositive(problems, nameof(BatchMessagesMax), BatchMessagesMax);
        RequirePositive(problems, nameof(MessageTimeoutMs), MessageTimeoutMs);
        RequirePositive(problems, nameof(RequestTimeoutMs), RequestTimeoutMs);
        RequirePositive(problems, nameof(SocketTimeoutMs), SocketTimeoutMs);
        RequirePositive(problems, nameof(RetryBackoffMaxMs), RetryBackoffMaxMs);
        RequirePositive(problems, nameof(ConsumerSessionTimeoutMs), ConsumerSessionTimeoutMs);
        RequirePositive(problems, nameof(RelayPageSize), RelayPageSize);
        if (LingerMs < 0)
        {
            problems.Add($"{Section}:{nameof(LingerMs)} must not be negative, not {LingerMs}.");
        }

        return problems;
    }

    private static void RequirePositive(List<string> problems, string name, int value)
    {
        if (value < 1)
        {
            problems.Add($"{Section}:{name} must be at least 1, not {value}.");
        }
    }
}

/// <summary>Fails start-up (with <c>ValidateOnStart</c>) when the settings are invalid.</summary>
public sealed class KafkaOptionsValidator : IValidateOptions<KafkaOptions>
{
    public ValidateOptionsResult Validate(string? name, KafkaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Problems();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

public static class KafkaOptionsRegistration
{
    /// <summary><c>IOptions&lt;KafkaOptions&gt;</c> bound to the <c>Kafka</c> section and validated when the host starts.</summary>
    public static IServiceCollection AddKafkaOptions(this IServiceCollection services)
    {
        services.AddOptions<KafkaOptions>().BindConfiguration(KafkaOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KafkaOptions>, KafkaOptionsValidator>());
        return services;
    }
}
