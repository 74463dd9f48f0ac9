using JasperFx.Events.Projections;
using Ledger.Domain.Accounts;
using Ledger.EventStore.Audit;
using Npgsql;

namespace Ledger.EventStore.Projections;

/// <summary>
/// Replays <see cref="AccountEntriesTable"/>. The chain hashes are recomputed from the events, so before the switch the
/// rebuilt chain must equal the stored one wherever both have an entry: otherwise a rebuild would launder an edited
/// event (or an edited entry) into a fresh, valid-looking chain. Such a rebuild stops and changes nothing.
/// </summary>
public sealed class AccountEntriesReplay : ReplayProjection
{
    public override string Name => "account-entries";

    public override string Description => "Per account, every event with the balance and state after it and its chain hash (auditors' reads).";

    public override ProjectionLifecycle Lifecycle => ProjectionLifecycle.Inline;

    public override string Table => AccountEntriesTable.Name;

    public override IReadOnlyList<string> KeyColumns { get; } = ["account_id", "version"];

    public override IReadOnlyList<string> ComparedColumns { get; } =
        AccountEntryRow.Columns.Split(", ").Except(["account_id", "version"]).ToArray();

    public override IProjectionBuilder CreateBuilder(ReplayContext context) => new Builder();

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

    private sealed class Builder : IProjectionBuilder
    {
        private readonly Dictionary<Guid, (string Hash, Account? State)> _heads = [];
        private readonly List<object[]> _pending = [];

        public void Apply(ReplayEvent e)
        {
            var (hash, state) = _heads.TryGetValue(e.StreamId, out var head) ? head : (HashChain.Genesis, null);
            var row = AccountEntryRow.Next(hash, state, e.StreamId, e.Version, e.Sequence, e.EventId,
                e.CorrelationId, e.Data);
            _heads[e.StreamId] = (row.Hash, row.State);
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
