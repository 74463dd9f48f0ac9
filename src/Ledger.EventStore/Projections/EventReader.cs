using System.Runtime.CompilerServices;
using Ledger.Domain.Accounts;
using Ledger.EventStore.MartenStorage;
using Marten;
using Npgsql;

namespace Ledger.EventStore.Projections;

/// <summary>
/// Streams stored events straight from Marten's event table (<see cref="MartenTables"/>), deserialized by the store's own serializer. Each read is one
/// statement, so it sees one snapshot: within it, every stream's versions are contiguous (a stream's next event can only
/// commit after the previous one did), which is what lets a replay catch up per stream without missing anything.
/// Marten's tombstones are no events and never read (ADR-008); any other type this ledger does not know stops the read.
/// </summary>
public sealed class EventReader(ISerializer serializer)
{
    private static readonly Dictionary<string, Type> TypesByName =
        LedgerStore.EventTypeNames.ToDictionary(pair => pair.Value, pair => pair.Key, StringComparer.Ordinal);

    /// <summary>Every event with <c>afterSequence &lt; sequence &lt;= upToSequence</c>, in sequence order.</summary>
    public IAsyncEnumerable<ReplayEvent> ReadRangeAsync(NpgsqlConnection connection, long afterSequence, long upToSequence,
        CancellationToken cancellation) =>
        ReadAsync(connection, MartenTables.SelectEventsInRange, [new("after", afterSequence), new("upTo", upToSequence)], cancellation);

    /// <summary>Every event of the given streams after the given versions, in version order per stream.</summary>
    public IAsyncEnumerable<ReplayEvent> ReadStreamsAfterAsync(NpgsqlConnection connection,
        IReadOnlyCollection<(Guid StreamId, long AfterVersion)> streams, CancellationToken cancellation) =>
        ReadAsync(connection, MartenTables.SelectStreamsAfter,
            [new("ids", streams.Select(s => s.StreamId).ToArray()), new("versions", streams.Select(s => s.AfterVersion).ToArray())],
            cancellation);

    private async IAsyncEnumerable<ReplayEvent> ReadAsync(NpgsqlConnection connection, string sql, NpgsqlParameter[] parameters,
        [EnumeratorCancellation] CancellationToken cancellation)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        command.Parameters.AddRange(parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        while (await reader.ReadAsync(cancellation))
        {
            var typeName = reader.GetString(4);
            if (!TypesByName.TryGetValue(typeName, out var type))
            {
                throw new InvalidOperationException($"Event {reader.GetInt64(2)} has the unknown type '{typeName}'; a replay never skips events.");
            }

            var data = (IAccountEvent)serializer.FromJson(type, reader, 5);
            yield return new ReplayEvent(reader.GetGuid(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetGuid(3), data,
                await reader.IsDBNullAsync(6, cancellation) ? null : reader.GetString(6),
                Actor.From(await reader.IsDBNullAsync(7, cancellation) ? null : reader.GetString(7),
                    await reader.IsDBNullAsync(8, cancellation) ? null : reader.GetString(8)));
        }
    }
}
