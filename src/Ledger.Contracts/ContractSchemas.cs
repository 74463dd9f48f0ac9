using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization.Metadata;
using Ledger.Contracts.V1;

namespace Ledger.Contracts;

/// <summary>One integration event type and version: its <c>ce_type</c>, the type of its data and the topic it is published on.</summary>
public sealed record EventContract(string Type, Type DataType, string Topic)
{
    /// <summary>The <c>ce_dataschema</c> of its messages, which is also the <c>$id</c> of its JSON Schema.</summary>
    public string DataSchema { get; } = ContractSchemas.DataSchemaPrefix + Type;

    /// <summary>The schema's file name in <c>src/Ledger.Contracts/Schemas</c>.</summary>
    public string FileName { get; } = Type + ".schema.json";
}

/// <summary>
/// The JSON Schemas (draft 2020-12) of the integration events' data, one per <c>ce_type</c>. They are generated from the
/// contract types with the options the relay serializes with, checked in under <c>src/Ledger.Contracts/Schemas</c> and
/// embedded in this assembly; <c>ledger contracts schemas --out DIR</c> writes them again, and a test fails when the
/// checked-in files differ from what the types generate (ADR-020).
/// </summary>
public static class ContractSchemas
{
    public const string Dialect = "https://json-schema.org/draft/2020-12/schema";

    /// <summary>
    /// A schema's URI is this prefix and its <c>ce_type</c>. CloudEvents requires an absolute URI for <c>dataschema</c>;
    /// a URN names the schema without promising a server that serves it.
    /// </summary>
    public const string DataSchemaPrefix = "urn:ledger:schema:";

    private const string ResourcePrefix = "Ledger.Contracts.Schemas.";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, IndentSize = 2, NewLine = "\n" };

    public static IReadOnlyList<EventContract> All { get; } =
    [
        .. CloudEventTypes.AccountEventTypes.Select(pair => new EventContract(pair.Key, pair.Value, KafkaTopics.AccountEvents)),
        new EventContract(CloudEventTypes.FraudAlertRaised, typeof(FraudAlertV1), KafkaTopics.FraudAlerts),
    ];

    private static readonly Dictionary<string, EventContract> ByType = All.ToDictionary(contract => contract.Type, StringComparer.Ordinal);

    /// <summary>The contract of a <c>ce_type</c>; throws for a type that has none.</summary>
    public static EventContract Of(string type) =>
        ByType.TryGetValue(type, out var contract) ? contract : throw new ArgumentException($"No integration contract has the ce_type '{type}'.", nameof(type));

    /// <summary>The schema as the contract type generates it now: what the checked-in file must contain.</summary>
    public static string Generate(EventContract contract)
    {
        ArgumentNullException.ThrowIfNull(contract);
        var exporter = new JsonSchemaExporterOptions
        {
            // The root is the message's whole value, never null; properties keep the nullability their types declare.
            TreatNullObliviousAsNonNullable = true,
            TransformSchemaNode = RequireNonNullableMembers,
        };
        var generated = IntegrationJson.Options.GetJsonSchemaAsNode(contract.DataType, exporter).AsObject();
        var schema = new JsonObject
        {
            ["$schema"] = Dialect,
            ["$id"] = contract.DataSchema,
            ["title"] = contract.DataType.Name,
            ["description"] = $"The data of {contract.Type} events on the Kafka topic {contract.Topic}.",
        };
        foreach (var (name, value) in generated.ToList())
        {
            generated.Remove(name);
            schema[name] = value;
        }

        return schema.ToJsonString(Indented) + "\n";
    }

    /// <summary>The checked-in schema of a contract, as embedded in this assembly at build time.</summary>
    public static string Published(EventContract contract)
    {
        ArgumentNullException.ThrowIfNull(contract);
        using var stream = typeof(ContractSchemas).Assembly.GetManifestResourceStream(ResourcePrefix + contract.FileName)
                           ?? throw new InvalidOperationException($"No schema {contract.FileName} is published in src/Ledger.Contracts/Schemas.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The file names of every schema checked in and embedded, whether or not a contract still has it.</summary>
    public static IReadOnlyList<string> PublishedFileNames() =>
    [
        .. typeof(ContractSchemas).Assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            .Select(name => name[ResourcePrefix.Length..])
            .Order(StringComparer.Ordinal),
    ];

    /// <summary>
    /// The exporter requires every constructor parameter. On the wire an absent value is left out
    /// (<see cref="IntegrationJson.Options"/>), so only the members that can never be null are required.
    /// </summary>
    private static JsonNode RequireNonNullableMembers(JsonSchemaExporterContext context, JsonNode schema)
    {
        if (context.TypeInfo.Kind == JsonTypeInfoKind.Object && schema is JsonObject node && node.ContainsKey("properties"))
        {
            node.Remove("required");
            node["required"] = new JsonArray([.. context.TypeInfo.Properties.Where(property => !property.IsGetNullable).Select(property => (JsonNode)property.Name)]);
        }

        return schema;
    }
}
