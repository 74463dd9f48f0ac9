using System.Text.Json;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Ledger.Domain.Accounts;
using Ledger.EventStore.Projections;
using Marten;
using Npgsql;
using IMartenProjection = Marten.Events.Projections.IProjection;

namespace Ledger.EventStore.Audit;

/// <summary>
/// <see cref="AccountEntriesTable"/>: for each event of an account, the state after it (the domain's own Evolve) and the next
/// link of the stream's hash chain. One definition (ADR-013): every row is <see cref="AccountEntryRow.Next"/> of the link
/// before it; the live writer (<see cref="Inline"/>) reads that link from the table in the append's transaction (writers
/// hold the stream's row lock, so no other writer can interleave), a replay (<see cref="Builder"/>) keeps it in memory.
/// Every value comes from the event and its metadata, never from the clock.
/// </summary>
/// <remarks>
/// A rebuild recomputes the chain hashes from the events, so before the switch the rebuilt chain must equal the stored one
/// wherever both have an entry: otherwise it would launder an edited event (or an edited entry) into a fresh, valid-looking
/// chain. Such a rebuild stops and changes nothing (ADR-005, ADR-007).
/// </remarks>
public sealed class AccountEntriesProjection : ReplayProjection
{
    public override string Name => "account-entries";

    public override string Description => "Per account, every event with the balance and state after it and its chain hash (auditors' reads).";

    public override ProjectionLifecycle Lifecycle => ProjectionLifecycle.Inline;

    public override string Table => AccountEntriesTable.Name;

    public override IReadOnlyList<string> KeyColumns { get; } = ["account_id", "version"];

    public override IReadOnlyList<string> ComparedColumns { get; } =
        AccountEntryRow.Columns.Split(", ").Except(["account_id", "version"]).ToArray();

    public override IProjectionBuilder CreateBuilder(ReplayContext context) => new Builder();

    public override void Configure(StoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Storage.ExtendedSchemaObjects.Add(AccountEntriesTable.Build());
        options.Projections.Add(new Inline(), ProjectionLifecycle.Inline);
    }

    public override async Task CheckBeforeSwitchAsync(NpgsqlConnection connection, string liveTable, string shadowTable,
        CancellationToken cancellation)
    {
        await using var command = new NpgsqlCommand(
            $"select live.account_id, live.version from {liveTable} live join {shadowTable} shadow using (account_id, version) " +
            "where live.hash <> shadow.hash order by live.account_id, live.version limit 1", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        if (await reader.ReadAsync(cancellation))
        {
            throw new ProjectionConflictException(
                $"The stored hash chain differs from the one recomputed from the events, first at account {reader.GetGuid(0)} " +
                $"version {reader.GetInt64(1)}. Either an event or an entry was changed after it was written; a rebuild would hide " +
                "that. Run the integrity check (GET /api/v1/accounts/{id}/integrity) and investigate. Nothing was changed.");
        }
    }

    /// <summary>The live writer: one insert per appended event, queued into the append's own batch.</summary>
    private sealed class Inline : IMartenProjection
    {
        private static readonly string InsertSql =
            $"insert into {AccountEntriesTable.QualifiedName} ({AccountEntryRow.Columns}) " +
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?, ?)";

        public async Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
        {
            ArgumentNullException.ThrowIfNull(operations);
            ArgumentNullException.ThrowIfNull(events);
            var streams = events.GroupBy(e => e.StreamId).Select(stream => stream.OrderBy(e => e.Version).ToList()).ToList();
            // The links every stream continues from, in one query for the whole append (a transfer has two streams).
            var links = await LoadLinksAsync(operations,
                streams.Where(ordered => ordered[0].Version > 1).Select(ordered => (ordered[0].StreamId, ordered[0].Version - 1)).ToList(),
                cancellation);
            foreach (var ordered in streams)
            {
                var accountId = ordered[0].StreamId;
                var link = ordered[0].Version == 1 ? EntryLink.Genesis : links[accountId];
                foreach (var e in ordered)
                {
                    var row = AccountEntryRow.Next(link, accountId, e.Version, e.Sequence, e.Id, e.CorrelationId, Actor.Of(e),
                        (IAccountEvent)e.Data);
                    operations.QueueSqlCommand(InsertSql, row.Values());
                    link = row.Link;
                }
            }
        }

        private static async Task<Dictionary<Guid, EntryLink>> LoadLinksAsync(IDocumentOperations operations,
            List<(Guid AccountId, long Version)> entries, CancellationToken cancellation)
        {
            var links = new Dictionary<Guid, EntryLink>(entries.Count);
            if (entries.Count == 0)
            {
                return links;
            }

            var rows = await operations.QueryAsync<string>(
                "select json_build_object('account', e.account_id, 'hash', e.hash, 'state', e.state, " +
                "'deposited', e.deposited_to_date_minor, 'withdrawn', e.withdrawn_to_date_minor)::text " +
                $"from unnest(?::uuid[], ?::bigint[]) as wanted(account_id, version) " +
                $"join {AccountEntriesTable.QualifiedName} e on e.account_id = wanted.account_id and e.version = wanted.version",
                cancellation, entries.Select(entry => entry.AccountId).ToArray(), entries.Select(entry => entry.Version).ToArray());
            foreach (var json in rows)
            {
                using var link = JsonDocument.Parse(json);
                var root = link.RootElement;
                links[root.GetProperty("account").GetGuid()] = new EntryLink(root.GetProperty("hash").GetString()!,
                    AccountEntryRow.ReadState(root.GetProperty("state").GetRawText()), Total(root.GetProperty("deposited")),
                    Total(root.GetProperty("withdrawn")));
            }

            foreach (var (accountId, version) in entries.Where(entry => !links.ContainsKey(entry.AccountId)))
            {
                throw new InvalidOperationException($"Account {accountId} has no entry for version {version}; its history table is incomplete.");
            }

            return links;
        }

        private static decimal? Total(JsonElement total) => total.ValueKind == JsonValueKind.Null ? null : total.GetDecimal();
    }

    private sealed class Builder : IProjectionBuilder
    {
        private readonly Dictionary<Guid, EntryLink> _links = [];
        private readonly List<object[]> _pending = [];

        public void Apply(ReplayEvent e)
        {
            var link = _links.GetValueOrDefault(e.StreamId, EntryLink.Genesis);
            var row = AccountEntryRow.Next(link, e.StreamId, e.Version, e.Sequence, e.EventId, e.CorrelationId, e.Actor, e.Data);
            _links[e.StreamId] = row.Link;
            _pending.Add(row.Values());
        }

        public async Task FlushAsync(NpgsqlConnection connection, string qualifiedTable, CancellationToken cancellation)
        {
            await BinaryCopy.WriteAsync(connection, qualifiedTable, AccountEntryRow.Columns, AccountEntryRow.ColumnTypes, _pending,
                cancellation);
            _pending.Clear();
        }

        public Task CompleteAsync(NpgsqlConnection connection, string qualifiedTable, CancellationToken cancellation) =>
            FlushAsync(connection, qualifiedTable, cancellation);
    }
}
