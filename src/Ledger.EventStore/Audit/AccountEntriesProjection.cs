using System.Text.Json;
using JasperFx.Events;
using Ledger.Domain.Accounts;
using Marten;
using Marten.Events.Projections;

namespace Ledger.EventStore.Audit;

/// <summary>
/// Inline projection writing <see cref="AccountEntriesTable"/>: for each appended event, the account state after it
/// (folded with the domain's own Evolve) and the next link of the stream's hash chain. The previous link is read from
/// the table inside the same transaction; writers hold the stream's row lock, so no other writer can interleave.
/// Every value comes from the event and its metadata, never from the clock.
/// </summary>
public sealed class AccountEntriesProjection : IProjection
{
    private static readonly string InsertSql =
        $"insert into {AccountEntriesTable.QualifiedName} ({AccountEntryRow.Columns}) " +
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?)";

    public async Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(operations);
        ArgumentNullException.ThrowIfNull(events);
        foreach (var stream in events.GroupBy(e => e.StreamId))
        {
            var ordered = stream.OrderBy(e => e.Version).ToList();
            var (hash, state) = ordered[0].Version == 1
                ? (HashChain.Genesis, null)
                : await LoadLinkAsync(operations, stream.Key, ordered[0].Version - 1, cancellation);
            foreach (var e in ordered)
            {
                var row = AccountEntryRow.Next(hash, state, stream.Key, e.Version, e.Sequence, e.Id, e.CorrelationId, (IAccountEvent)e.Data);
                operations.QueueSqlCommand(InsertSql, row.Values());
                (hash, state) = (row.Hash, row.State);
            }
        }
    }

    private static async Task<(string Hash, Account? State)> LoadLinkAsync(IDocumentOperations operations, Guid accountId, long version,
        CancellationToken cancellation)
    {
        var rows = await operations.QueryAsync<string>(
            $"select json_build_object('hash', hash, 'state', state)::text from {AccountEntriesTable.QualifiedName} where account_id = ? and version = ?",
            cancellation, accountId, version);
        if (rows.Count != 1)
        {
            throw new InvalidOperationException($"Account {accountId} has no entry for version {version}; its history table is incomplete.");
        }

        using var link = JsonDocument.Parse(rows[0]);
        return (link.RootElement.GetProperty("hash").GetString()!, AccountEntryRow.ReadState(link.RootElement.GetProperty("state").GetRawText()));
    }
}
