using JasperFx.Events.Projections;
using Ledger.Domain.Accounts;
using Ledger.EventStore.Projections;
using Npgsql;
using NpgsqlTypes;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace Ledger.EventStore.Reports;

/// <summary>
/// Per business day (UTC date of the event's time) and currency: count and sum of deposits, withdrawals and transfers.
/// A transfer is counted once, on its debit leg. A captured hold counts when it is captured, for the amount captured: out
/// of the ledger as a withdrawal, to another account as a transfer (once, on its source's stream); placing or releasing a
/// hold moves no money and counts nowhere. Kept by <see cref="AsyncProjectionRunner"/>; every value from events.
/// </summary>
public sealed class DailyVolumesProjection : ReplayProjection
{
    public const string TableName = "report_daily_volumes";
    public const string QualifiedName = $"{LedgerStore.Schema}.{TableName}";
    private const string Columns = "day, currency, deposits_count, deposits_minor, withdrawals_count, withdrawals_minor, " +
                                   "transfers_count, transfers_minor";

    private static readonly NpgsqlDbType[] Types =
    [
        NpgsqlDbType.Date, NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.Bigint, NpgsqlDbType.Bigint, NpgsqlDbType.Bigint,
        NpgsqlDbType.Bigint, NpgsqlDbType.Bigint,
    ];

    public const string ProjectionName = "daily-volumes";

    public override string Name => ProjectionName;

    public override string Description => "Per day and currency, count and sum of deposits, withdrawals and transfers.";

    public override ProjectionLifecycle Lifecycle => ProjectionLifecycle.Async;

    public override string Table => TableName;

    public override IReadOnlyList<string> KeyColumns { get; } = ["day", "currency"];

    public override IReadOnlyList<string> ComparedColumns { get; } = Columns.Split(", ")[2..];

    public override IProjectionBuilder CreateBuilder(ReplayContext context) => new Builder();

    public override void Configure(Marten.StoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Storage.ExtendedSchemaObjects.Add(BuildTable());
    }

    public static Table BuildTable()
    {
        var table = new Table(new PostgresqlObjectName(LedgerStore.Schema, TableName, SchemaUtils.IdentifierUsage.General));
        table.AddColumn<DateOnly>("day").AsPrimaryKey();
        table.AddColumn<string>("currency").AsPrimaryKey();
        foreach (var column in Columns.Split(", ")[2..])
        {
            table.AddColumn<long>(column).NotNull();
        }

        return table;
    }

    private sealed class Volumes
    {
        public long DepositsCount, DepositsMinor, WithdrawalsCount, WithdrawalsMinor, TransfersCount, TransfersMinor;
    }

    private sealed class Builder : IMergingProjectionBuilder
    {
        private readonly Dictionary<(DateOnly Day, string Currency), Volumes> _days = [];

        public void Apply(ReplayEvent e)
        {
            switch (e.Data)
            {
                case MoneyDeposited deposited:
                    var d = At(deposited.OccurredAt, deposited.Currency);
                    d.DepositsCount++;
                    d.DepositsMinor = checked(d.DepositsMinor + deposited.AmountMinor);
                    break;
                case MoneyWithdrawn withdrawn:
                    var w = At(withdrawn.OccurredAt, withdrawn.Currency);
                    w.WithdrawalsCount++;
                    w.WithdrawalsMinor = checked(w.WithdrawalsMinor + withdrawn.AmountMinor);
                    break;
                case MoneyTransferred transfer when transfer.FromAccountId == e.StreamId:
                    var t = At(transfer.OccurredAt, transfer.Currency);
                    t.TransfersCount++;
                    t.TransfersMinor = checked(t.TransfersMinor + transfer.AmountMinor);
                    break;
                case HoldCaptured { ToAccountId: null } captured:
                    var cw = At(captured.OccurredAt, captured.Currency);
                    cw.WithdrawalsCount++;
                    cw.WithdrawalsMinor = checked(cw.WithdrawalsMinor + captured.AmountMinor);
                    break;
                case HoldCaptured captured when captured.AccountId == e.StreamId:
                    var ct = At(captured.OccurredAt, captured.Currency);
                    ct.TransfersCount++;
                    ct.TransfersMinor = checked(ct.TransfersMinor + captured.AmountMinor);
                    break;
            }
        }

        public Task FlushAsync(NpgsqlConnection connection, string qualifiedTable, CancellationToken cancellation) => Task.CompletedTask;

        public async Task CompleteAsync(NpgsqlConnection connection, string qualifiedTable, CancellationToken cancellation)
        {
            // Few rows (days × currencies): rewriting them all keeps this simple.
            await using (var delete = new NpgsqlCommand($"delete from {qualifiedTable}", connection))
            {
                await delete.ExecuteNonQueryAsync(cancellation);
            }

            await BinaryCopy.WriteAsync(connection, qualifiedTable, Columns, Types, Rows(), cancellation);
        }

        public Task MergeAsync(NpgsqlConnection connection, string qualifiedTable, CancellationToken cancellation) =>
            BinaryCopy.ExecuteForEachAsync(connection,
                $"insert into {qualifiedTable} as t ({Columns}) values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (day, currency) do update set " +
                string.Join(", ", Columns.Split(", ")[2..].Select(c => $"{c} = t.{c} + excluded.{c}")),
                Types, Rows(), cancellation);

        private Volumes At(DateTimeOffset occurredAt, string currency)
        {
            var key = (DateOnly.FromDateTime(occurredAt.UtcDateTime), currency);
            if (!_days.TryGetValue(key, out var volumes))
            {
                _days[key] = volumes = new Volumes();
            }

            return volumes;
        }

        private IEnumerable<object[]> Rows() => _days.Select(pair => new object[]
        {
            pair.Key.Day, pair.Key.Currency, pair.Value.DepositsCount, pair.Value.DepositsMinor, pair.Value.WithdrawalsCount,
            pair.Value.WithdrawalsMinor, pair.Value.TransfersCount, pair.Value.TransfersMinor,
        });
    }
}
