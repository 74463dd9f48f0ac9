using System.CommandLine;
using Ledger.Cli.Database;
using Ledger.Messaging;

namespace Ledger.Cli.Kafka;

/// <summary>
/// <c>--bootstrap-servers</c> of the commands that use the ledger's Kafka; without it, <c>Kafka__BootstrapServers</c>, as
/// the API and the workers read it.
/// </summary>
internal sealed class KafkaServersOption
{
    public Option<string> Option { get; } = new("--bootstrap-servers")
    {
        Description = "Kafka to use (default: Kafka__BootstrapServers; the API's embedded Kafka is at kafka.bootstrapServers of GET /api/v1/system).",
        HelpName = "servers",
    };

    /// <summary>The servers given or configured, or null when there are none.</summary>
    public string? Resolve(ParseResult parseResult, DatabaseOptions database)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        ArgumentNullException.ThrowIfNull(database);
        var servers = parseResult.GetValue(Option) ?? database.Configuration(parseResult)[$"{KafkaOptions.Section}:BootstrapServers"];
        return string.IsNullOrWhiteSpace(servers) ? null : servers;
    }

    public const string Missing = "error: no Kafka to use: give --bootstrap-servers or set Kafka__BootstrapServers.";
}
