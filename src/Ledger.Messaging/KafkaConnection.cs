namespace Ledger.Messaging;

/// <summary>Where this process reaches Kafka: configured servers, or the embedded broker it started.</summary>
public sealed record KafkaConnection(string BootstrapServers, bool Embedded);
