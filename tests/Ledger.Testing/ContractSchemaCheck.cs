using System.Collections.Concurrent;
using System.Text.Json;
using Json.Schema;
using Ledger.Contracts;

namespace Ledger.Testing;

/// <summary>
/// Checks a message's data against the published JSON Schema (the checked-in file, embedded in Ledger.Contracts) whose
/// <c>$id</c> its <c>ce_dataschema</c> names, with a real JSON Schema 2020-12 validator that also checks formats (uuid,
/// date-time).
/// </summary>
public static class ContractSchemaCheck
{
    private static readonly ConcurrentDictionary<string, JsonSchema> Schemas = new(StringComparer.Ordinal);

    private static readonly EvaluationOptions Evaluation = new() { OutputFormat = OutputFormat.List, RequireFormatValidation = true };

    /// <summary>What is wrong with <paramref name="json"/> under the schema <paramref name="dataSchema"/>; empty when it is valid.</summary>
    public static IReadOnlyList<string> Problems(string dataSchema, string json)
    {
        var schema = Schemas.GetOrAdd(dataSchema, Build);
        using var document = JsonDocument.Parse(json);
        var result = schema.Evaluate(document.RootElement, Evaluation);
        return result.IsValid
            ? []
            : [.. (result.Details ?? []).SelectMany(detail => (detail.Errors ?? new Dictionary<string, string>()).Select(error => $"{detail.InstanceLocation}: {error.Value}"))];
    }

    private static JsonSchema Build(string dataSchema)
    {
        var contract = ContractSchemas.All.SingleOrDefault(contract => contract.DataSchema == dataSchema)
                       ?? throw new ArgumentException($"No published schema has the $id '{dataSchema}'.", nameof(dataSchema));
        // A registry of its own: the library's shared one refuses a second schema with the same $id.
        return JsonSchema.FromText(ContractSchemas.Published(contract), new BuildOptions { SchemaRegistry = new SchemaRegistry() });
    }
}
