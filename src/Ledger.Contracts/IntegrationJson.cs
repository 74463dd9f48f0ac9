using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ledger.Contracts;

/// <summary>The JSON form of integration events: camelCase, absent values left out, unknown fields ignored on read.</summary>
public static class IntegrationJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
