using JasperFx.Events.Projections;
using Ledger.Domain.Accounts;
using Ledger.EventStore.Accounts;
using Ledger.EventStore.MartenStorage;
using Npgsql;

namespace Ledger.EventStore.Projections;

/// <summary>
/// Replays the <see cref="Account"/> documents that <see cref="AccountProjection"/> keeps inline (the account read model
/// and the write-side snapshot), folding each stream with the same domain Evolve and storing it with the store's serializer.
/// </summary>
public sealed class AccountsReplay : ReplayProjection
{
    public override string Name => "accounts";

    public override string Description => "The current state of each account (GET /api/v1/accounts/{id}; also the write-side snapshot).";

    public override ProjectionLifecycle Lifecycle => ProjectionLifecycle.Inline;

    public override string Table => MartenTables.AccountDocuments;

    public override IReadOnlyList<string> KeyColumns { get; } = ["id"];

    public override IReadOnlyList<string> ComparedColumns { get; } = ["data"];

    public override IProjectionBuilder CreateBuilder(ReplayContext context) => new Builder(context);

    private sealed class Builder(ReplayContext context) : IProjectionBuilder
    {
        private readonly Dictionary<Guid, Account> _accounts = [];
        private readonly HashSet<Guid> _changed = [];

        public void Apply(ReplayEvent e)
        {
            _accounts[e.StreamId] = AccountDecider.Evolve(_accounts.GetValueOrDefault(e.StreamId), e.Data);
            _changed.Add(e.StreamId);
        }

        public Task FlushAsync(NpgsqlConnection connection, string qualifiedTable, CancellationToken cancellation) => Task.CompletedTask;

        public async Task CompleteAsync(NpgsqlConnection connection, string qualifiedTable, CancellationToken cancellation)
        {
            // Only the accounts changed since the last write: the switch rewrites what the last moments changed, not everything.
            await BinaryCopy.DeleteKeysAsync(connection, qualifiedTable, "id", _changed, cancellation);
            await MartenBulkWriter.CopyAccountDocumentsAsync(connection, qualifiedTable, context.Serializer, _changed.Select(id => _accounts[id]), cancellation);
            _changed.Clear();
        }
    }
}
