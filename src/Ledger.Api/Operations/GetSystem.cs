using Ledger.Messaging;

namespace Ledger.Api.Operations;

/// <summary><c>GET /system</c>: where this node's dependencies are, for operators and for tools such as kcat.</summary>
public static class GetSystemEndpoint
{
    public sealed record KafkaView(string BootstrapServers, bool Embedded, bool RelayEnabled, bool ConsumersEnabled);

    public sealed record SystemView(string Version, KafkaView Kafka, bool PostgresEmbedded);

    public static void Map(IEndpointRouteBuilder routes, bool postgresEmbedded, bool relayEnabled, bool consumersEnabled) =>
        routes.MapGet("/system", (KafkaConnection kafka) => TypedResults.Ok(new SystemView(
                typeof(GetSystemEndpoint).Assembly.GetName().Version?.ToString() ?? "0.0.0",
                new KafkaView(kafka.BootstrapServers, kafka.Embedded, relayEnabled, consumersEnabled), postgresEmbedded)))
            .WithName("GetSystem")
            .WithSummary("Kafka bootstrap servers (embedded or configured) and what runs in this process.");
}
