using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Ledger.Contracts;

/// <summary>
/// The JSON form of integration events: camelCase, absent values left out, unknown fields ignored on read. The relay and
/// the fraud consumer write with these options, the consumers read with them, and the published JSON Schemas are exported
/// from them (<see cref="ContractSchemas"/>), so the schemas describe exactly what is on the wire.
/// </summary>
public static class IntegrationJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // What serialization would pick by itself; named here because the schema exporter requires it to be set.
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };
}
