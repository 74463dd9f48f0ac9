using JasperFx.Events;
using JasperFx.Events.Projections;
using Ledger.Domain.Accounts;
using Ledger.EventStore.MartenStorage;
using Ledger.EventStore.Projections;
using Marten;
using Marten.Events.Aggregation;
using Npgsql;

namespace Ledger.EventStore.Accounts;

/// <summary>
/// The <see cref="Account"/> documents: the account read model and the write-side snapshot. One definition (ADR-013): the
/// fold is the domain's own <see cref="AccountDecider.Evolve"/>, so the read model and the decisions can never disagree;
/// Marten keeps the documents inline, in the append's transaction (<see cref="Inline"/>), and a replay folds each stream
/// with the same function and writes the documents as the store does (<see cref="Builder"/>). Every value comes from the
/// events, never from the clock.
/// </summary>
public sealed class AccountProjection : ReplayProjection
{
    public override string Name => "accounts";

    public override string Description => "The current state of each account (GET /api/v1/accounts/{id}; also the write-side snapshot).";

    public override ProjectionLifecycle Lifecycle => ProjectionLifecycle.Inline;

    public override string Table => MartenTables.AccountDocuments;

    public override IReadOnlyList<string> KeyColumns { get; } = ["id"];

    public override IReadOnlyList<string> ComparedColumns { get; } = ["data"];

    public override IProjectionBuilder CreateBuilder(ReplayContext context) => new Builder(context);

    public override void Configure(StoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Projections.Add(new Inline(), ProjectionLifecycle.Inline);
        options.Schema.For<Account>().Identity(account => account.AccountId).DocumentAlias(MartenTables.AccountAlias);
    }

    private static Account Fold(Account? state, IAccountEvent e) => AccountDecider.Evolve(state, e);

    /// <summary>The live writer: Marten stores the folded document with the append.</summary>
    private sealed class Inline : SingleStreamProjection<Account, Guid>
    {
        public override Account Evolve(Account? snapshot, Guid id, IEvent e)
        {
            ArgumentNullException.ThrowIfNull(e);
            if (e.Data is not IAccountEvent accountEvent)
            {
                throw new InvalidOperationException($"Event {e.EventTypeName} in account stream {id} is not an account event.");
            }

            return Fold(snapshot, accountEvent);
        }
    }

    private sealed class Builder(ReplayContext context) : IProjectionBuilder
    {
        private readonly Dictionary<Guid, Account> _accounts = [];
        private readonly HashSet<Guid> _changed = [];

        public void Apply(ReplayEvent e)
        {
            _accounts[e.StreamId] = Fold(_accounts.GetValueOrDefault(e.StreamId), e.Data);
            _changed.Add(e.StreamId);
        }

        public Task FlushAsync(NpgsqlConnection connection, string qualifiedTable, CancellationToken cancellation) => Task.CompletedTask;

        public async Task CompleteAsync(NpgsqlConnection connection, string qualifiedTable, CancellationToken cancellation)
        {
            // Only the accounts changed since the last write: the switch rewrites what the last moments changed, not everything.
            await BinaryCopy.DeleteKeysAsync(connection, qualifiedTable, "id", _changed, cancellation);
            await MartenBulkWriter.CopyAccountDocumentsAsync(connection, qualifiedTable, context.Serializer,
                _changed.Select(id => _accounts[id]), cancellation);
            _changed.Clear();
        }
    }
}
