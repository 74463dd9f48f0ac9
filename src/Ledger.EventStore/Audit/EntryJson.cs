using System.Text.Json;
using System.Text.Json.Serialization;
using Ledger.Domain.Accounts;

namespace Ledger.EventStore.Audit;

/// <summary>
/// The JSON of an entry's <c>data</c> and <c>state</c> columns, generated at compile time: every appended event and every
/// replayed one is written through it, so no reflection runs per entry. Web defaults (camelCase), as the columns have
/// always been written.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Account))]
[JsonSerializable(typeof(SortedDictionary<string, object>))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(long))]
internal sealed partial class EntryJson : JsonSerializerContext;
