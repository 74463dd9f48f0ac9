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
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

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
                var @event = (IAccountEvent)e.Data;
                state = AccountDecider.Evolve(state, @event);
                hash = HashChain.Next(hash, new HashChain.Link(stream.Key, e.Version, e.Sequence, e.Id, @event));
                Queue(operations, e, @event, state, hash);
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

        var link = JsonSerializer.Deserialize<StoredLink>(rows[0], Json)!;
        return (link.Hash, link.State);
    }

    private static void Queue(IDocumentOperations operations, IEvent e, IAccountEvent @event, Account state, string hash)
    {
        var accountId = e.StreamId;
        operations.QueueSqlCommand(
            $"insert into {AccountEntriesTable.QualifiedName} (account_id, version, sequence, event_id, type, currency, amount_minor, " +
            "balance_after_minor, occurred_at, transfer_id, counterparty_account_id, reference, correlation_id, data, state, hash) " +
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?)",
            accountId, e.Version, e.Sequence, e.Id, AccountEventTypes.NameOf(@event), state.Currency,
            AccountEventTypes.SignedAmountMinor(accountId, @event), state.BalanceMinor, @event.OccurredAt,
            (@event as MoneyTransferred)?.TransferId ?? (object)DBNull.Value,
            AccountEventTypes.CounterpartyOf(accountId, @event) ?? (object)DBNull.Value,
            AccountEventTypes.ReferenceOf(@event) ?? (object)DBNull.Value,
            e.CorrelationId ?? (object)DBNull.Value,
            JsonSerializer.Serialize(HashChain.DataOf(@event), Json),
            JsonSerializer.Serialize(state, Json),
            hash);
    }

    private sealed record StoredLink(string Hash, Account State);
}
