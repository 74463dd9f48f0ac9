using Ledger.Api.Hosting;
using Ledger.Messaging;

namespace Ledger.Api.Operations;

/// <summary>
/// <c>GET /system</c>: where this node's dependencies are, for operators and for tools such as kcat, and the roles it plays
/// among the nodes on its database (ADR-019).
/// </summary>
public static class GetSystemEndpoint
{
    public sealed record KafkaView(string BootstrapServers, bool Embedded, bool RelayEnabled, bool ConsumersEnabled);

    /// <summary><c>roles</c>: <c>relay</c> and <c>reports</c> when this node runs them; empty on a node that stands by.</summary>
    public sealed record NodeView(string Name, IReadOnlyList<string> Roles);

    public sealed record SystemView(string Version, KafkaView Kafka, bool PostgresEmbedded, NodeView Node);

    public static void Map(IEndpointRouteBuilder routes, bool postgresEmbedded, bool relayEnabled, bool consumersEnabled) =>
        routes.MapGet("/system", (KafkaConnection kafka, NodeLeadership leadership) => TypedResults.Ok(new SystemView(
                typeof(GetSystemEndpoint).Assembly.GetName().Version?.ToString() ?? "0.0.0",
                new KafkaView(kafka.BootstrapServers, kafka.Embedded, relayEnabled, consumersEnabled), postgresEmbedded,
                new NodeView(leadership.NodeName, leadership.Roles()))))
            .WithName("GetSystem")
            .WithSummary("Kafka bootstrap servers (embedded or configured), what runs in this process, and the roles this node plays.");
}
