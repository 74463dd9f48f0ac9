using Ledger.EventStore;
using Ledger.Messaging;
using Microsoft.Extensions.Configuration;

namespace Ledger.Development;

/// <summary>
/// The one decision every host (the API, the workers, the <c>ledger</c> tool) takes before it looks for PostgreSQL and
/// Kafka: whether it may start the embedded ones for a missing setting, and whether it makes the schema current at start.
/// Embedded infrastructure is for development machines only, so it is allowed in the Development environment or when
/// <c>Ledger:Embedded=true</c> says so; anywhere else a missing setting stops the start instead of falling back (ADR-015).
/// </summary>
public sealed record EmbeddedInfrastructure(bool Allowed, bool ApplySchemaOnStart, string EnvironmentName)
{
    public const string DevelopmentEnvironment = "Development";
    public const string EnabledKey = "Ledger:Embedded";
    public const string ApplySchemaOnStartKey = "Ledger:ApplySchemaOnStart";

    /// <summary>What a tool without a host reads: <c>DOTNET_ENVIRONMENT</c>, as the generic host does.</summary>
    public const string ToolEnvironmentVariable = "DOTNET_ENVIRONMENT";

    private const string ConnectionStringKey = "ConnectionStrings:Ledger";
    private const string BootstrapServersKey = $"{KafkaOptions.Section}:BootstrapServers";

    /// <summary>
    /// Decides from the host's environment name and its configuration. <c>Ledger:ApplySchemaOnStart</c> defaults to
    /// whether embedded infrastructure is allowed: a development database follows the code, a production one is migrated
    /// by an operator with <c>ledger db migrate</c>.
    /// </summary>
    public static EmbeddedInfrastructure For(IConfiguration configuration, string? environmentName)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var environment = string.IsNullOrWhiteSpace(environmentName) ? "Production" : environmentName;
        var allowed = string.Equals(environment, DevelopmentEnvironment, StringComparison.OrdinalIgnoreCase)
                      || configuration.GetValue(EnabledKey, defaultValue: false);
        return new EmbeddedInfrastructure(allowed, configuration.GetValue(ApplySchemaOnStartKey, defaultValue: allowed), environment);
    }

    /// <summary>For the <c>ledger</c> tool, whose configuration is the process environment (plus its options).</summary>
    public static EmbeddedInfrastructure ForTool(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return For(configuration, configuration[ToolEnvironmentVariable]);
    }

    /// <summary>
    /// Throws one <see cref="StartupRefusedException"/> naming every missing setting, unless embedded infrastructure may
    /// stand in for them. The connection string is checked when <paramref name="configuration"/> is given; Kafka when
    /// <paramref name="kafka"/> is given and the relay or the consumers run.
    /// </summary>
    public void RequireSettings(IConfiguration? configuration, KafkaOptions? kafka)
    {
        if (Allowed)
        {
            return;
        }

        var missing = new List<string>();
        if (configuration is not null && string.IsNullOrWhiteSpace(configuration[ConnectionStringKey]))
        {
            missing.Add($"{ConnectionStringKey} (the ledger's PostgreSQL; environment variable ConnectionStrings__Ledger)");
        }

        if (kafka is { RelayEnabled: true } or { ConsumersEnabled: true } && string.IsNullOrWhiteSpace(kafka.BootstrapServers))
        {
            missing.Add($"{BootstrapServersKey} (the Kafka cluster, needed while Kafka:RelayEnabled or Kafka:ConsumersEnabled is true; " +
                        "environment variable Kafka__BootstrapServers)");
        }

        if (missing.Count > 0)
        {
            throw new StartupRefusedException(MissingMessage(missing));
        }
    }

    private string MissingMessage(List<string> missing) =>
        $"{string.Join(" and ", missing)} {(missing.Count == 1 ? "is" : "are")} not set. In the {EnvironmentName} environment " +
        "the ledger starts no embedded PostgreSQL or Kafka in their place. Set them, or, on a development machine, run in " +
        $"Development (DOTNET_ENVIRONMENT=Development; ASPNETCORE_ENVIRONMENT for the API) or set {EnabledKey}=true.";
}
