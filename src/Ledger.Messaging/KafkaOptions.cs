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
}
