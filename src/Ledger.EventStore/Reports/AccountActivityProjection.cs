using JasperFx.Events.Projections;
using Ledger.Domain.Accounts;
using Ledger.EventStore.Audit;
using Ledger.EventStore.Projections;
using Npgsql;
using NpgsqlTypes;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace Ledger.EventStore.Reports;

/// <summary>
/// Per account: first and last activity (event time), number of events, total credited and debited in minor units of the
/// account's currency. Every event is activity (a freeze, a closing, a hold placed or released too); only money moved
/// counts in and out: a captured hold's amount, out of its source and, captured to another account, into it.
/// Kept by <see cref="AsyncProjectionRunner"/>; every value from events.
/// </summary>
public sealed class AccountActivityProjection : ReplayProjection
{
    public const string TableName = "report_account_activity";
    public const string QualifiedName = $"{LedgerStore.Schema}.{TableName}";
    private const string Columns = "account_id, currency, first_activity_at, last_activity_at, event_count, in_minor, out_minor, volume_minor";

    private static readonly NpgsqlDbType[] Types =
    [
        NpgsqlDbType.Uuid, NpgsqlDbType.Text, NpgsqlDbType.TimestampTz, NpgsqlDbType.TimestampTz, NpgsqlDbType.Bigint,
        NpgsqlDbType.Bigint, NpgsqlDbType.Bigint, NpgsqlDbType.Bigint,
    ];

    public const string ProjectionName = "account-activity";

    public override string Name => ProjectionName;

    public override string Description => "Per account, first and last activity, number of events, total in and out.";

    public override ProjectionLifecycle Lifecycle => ProjectionLifecycle.Async;

    public override string Table => TableName;

    public override IReadOnlyList<string> KeyColumns { get; } = ["account_id"];

    public override IReadOnlyList<string> ComparedColumns { get; } = Columns.Split(", ")[1..];

    public override IProjectionBuilder CreateBuilder(ReplayContext context) => new Builder();

    public override void Configure(Marten.StoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Storage.ExtendedSchemaObjects.Add(BuildTable());
    }

    public static Table BuildTable()
    {
        var table = new Table(new PostgresqlObjectName(LedgerStore.Schema, TableName, SchemaUtils.IdentifierUsage.General));
        table.AddColumn<Guid>("account_id").AsPrimaryKey();
        table.AddColumn<string>("currency").NotNull();
        table.AddColumn<DateTimeOffset>("first_activity_at").NotNull();
        table.AddColumn<DateTimeOffset>("last_activity_at").NotNull();
        table.AddColumn<long>("event_count").NotNull();
        table.AddColumn<long>("in_minor").NotNull();
        table.AddColumn<long>("out_minor").NotNull();
        // in + out, stored so that the top-accounts report is an index scan per currency.
        table.AddColumn<long>("volume_minor").NotNull();
        table.Indexes.Add(new IndexDefinition($"ix_{TableName}_volume") { Columns = ["currency", "volume_minor"] });
        table.Indexes.Add(new IndexDefinition($"ix_{TableName}_count") { Columns = ["event_count"] });
        return table;
    }

    private sealed class Activity
    {
        public string Currency = "";
        public DateTimeOffset First = DateTimeOffset.MaxValue, Last = DateTimeOffset.MinValue;
        public long Count, InMinor, OutMinor;
    }

    private sealed class Builder : IMergingProjectionBuilder
    {
        private readonly Dictionary<Guid, Activity> _accounts = [];
        private readonly HashSet<Guid> _changed = [];

        public void Apply(ReplayEvent e)
        {
            _changed.Add(e.StreamId);
            if (!_accounts.TryGetValue(e.StreamId, out var activity))
            {
                _accounts[e.StreamId] = activity = new Activity();
            }

            // Freezes and closings carry no currency: the account's is the one its creation, in an earlier batch or this one, gave.
            activity.Currency = e.Data switch
            {
                AccountCreated created => created.Currency,
                MoneyDeposited deposited => deposited.Currency,
                MoneyWithdrawn withdrawn => withdrawn.Currency,
                MoneyTransferred transfer => transfer.Currency,
                HoldPlaced placed => placed.Currency,
                HoldCaptured captured => captured.Currency,
                HoldReleased released => released.Currency,
                AccountFrozen or AccountUnfrozen or AccountClosed => activity.Currency,
                _ => throw new ArgumentOutOfRangeException(nameof(e), e.Data.GetType().Name, "Not an account event."),
            };

            activity.First = e.Data.OccurredAt < activity.First ? e.Data.OccurredAt : activity.First;
            activity.Last = e.Data.OccurredAt > activity.Last ? e.Data.OccurredAt : activity.Last;
            activity.Count++;
            var signed = AccountEventTypes.SignedAmountMinor(e.StreamId, e.Data);
            if (signed > 0)
            {
                activity.InMinor = checked(activity.InMinor + signed);
            }
            else
            {
                activity.OutMinor = checked(activity.OutMinor - signed);
            }
        }

        public Task FlushAsync(NpgsqlConnection connection, string qualifiedTable, CancellationToken cancellation) => Task.CompletedTask;

        public async Task CompleteAsync(NpgsqlConnection connection, string qualifiedTable, CancellationToken cancellation)
        {
            await BinaryCopy.DeleteKeysAsync(connection, qualifiedTable, "account_id", _changed, cancellation);
            await BinaryCopy.WriteAsync(connection, qualifiedTable, Columns, Types, Rows(_changed), cancellation);
            _changed.Clear();
        }

        public Task MergeAsync(NpgsqlConnection connection, string qualifiedTable, CancellationToken cancellation) =>
            BinaryCopy.ExecuteForEachAsync(connection,
                $"insert into {qualifiedTable} as t ({Columns}) values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (account_id) do update set " +
                "first_activity_at = least(t.first_activity_at, excluded.first_activity_at), " +
                "last_activity_at = greatest(t.last_activity_at, excluded.last_activity_at), " +
                "event_count = t.event_count + excluded.event_count, in_minor = t.in_minor + excluded.in_minor, " +
                "out_minor = t.out_minor + excluded.out_minor, volume_minor = t.volume_minor + excluded.volume_minor",
                Types, Rows(_accounts.Keys), cancellation);

        private IEnumerable<object[]> Rows(IEnumerable<Guid> ids) => ids.Select(id => (Id: id, Activity: _accounts[id])).Select(row => new object[]
        {
            row.Id, row.Activity.Currency, row.Activity.First, row.Activity.Last, row.Activity.Count, row.Activity.InMinor,
            row.Activity.OutMinor, checked(row.Activity.InMinor + row.Activity.OutMinor),
        });
    }
}
