using Ledger.EventStore.Projections;
using Npgsql;

namespace Ledger.EventStore.Reports;

public sealed record DailyVolumesRow(
    DateOnly Day,
    string Currency,
    long DepositsCount,
    long DepositsMinor,
    long WithdrawalsCount,
    long WithdrawalsMinor,
    long TransfersCount,
    long TransfersMinor);

public sealed record AccountActivityRow(
    Guid AccountId,
    string Currency,
    DateTimeOffset FirstActivityAt,
    DateTimeOffset LastActivityAt,
    long EventCount,
    long InMinor,
    long OutMinor,
    long VolumeMinor);

public enum TopAccountsOrder
{
    Volume,
    Count,
}

/// <summary>
/// Reads the report tables. Each answer comes with the sequence the report reflects, read in the same snapshot, so an
/// analyst can tell how fresh it is.
/// </summary>
public sealed class ReportQueries(NpgsqlDataSource dataSource)
{
    public async Task<(long Sequence, IReadOnlyList<DailyVolumesRow> Rows)> DailyVolumesAsync(DateOnly from, DateOnly to, string? currency,
        CancellationToken cancellation)
    {
        var rows = new List<DailyVolumesRow>();
        var sequence = await ReadAsync(DailyVolumesProjection.ProjectionName,
            "select day, currency, deposits_count, deposits_minor, withdrawals_count, withdrawals_minor, transfers_count, transfers_minor " +
            $"from {DailyVolumesProjection.QualifiedName} where day between @from and @to and (@currency::text is null or currency = @currency) " +
            "order by day, currency",
            [new("from", from), new("to", to), new("currency", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)currency ?? DBNull.Value }],
            reader => rows.Add(new DailyVolumesRow(reader.GetFieldValue<DateOnly>(0), reader.GetString(1), reader.GetInt64(2),
                reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7))),
            cancellation);
        return (sequence, rows);
    }

    /// <summary>
    /// The most active accounts. By count across all currencies; by volume within one currency, or, when none is given,
    /// the top <paramref name="limit"/> of each currency (amounts in different currencies cannot be ranked together).
    /// </summary>
    public async Task<(long Sequence, IReadOnlyList<AccountActivityRow> Rows)> TopAccountsAsync(TopAccountsOrder order, int limit,
        string? currency, CancellationToken cancellation)
    {
        var rank = order == TopAccountsOrder.Volume ? "volume_minor" : "event_count";
        var partition = order == TopAccountsOrder.Volume ? "partition by currency " : "";
        var rows = new List<AccountActivityRow>();
        var sequence = await ReadAsync(AccountActivityProjection.ProjectionName,
            "select account_id, currency, first_activity_at, last_activity_at, event_count, in_minor, out_minor, volume_minor from (" +
            "select *, row_number() over (" + partition + $"order by {rank} desc, account_id) as place " +
            $"from {AccountActivityProjection.QualifiedName} where (@currency::text is null or currency = @currency)) ranked " +
            $"where place <= @limit order by {(order == TopAccountsOrder.Volume ? "currency, " : "")}place",
            [new("limit", limit), new("currency", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)currency ?? DBNull.Value }],
            reader => rows.Add(new AccountActivityRow(reader.GetGuid(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2),
                reader.GetFieldValue<DateTimeOffset>(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7))),
            cancellation);
        return (sequence, rows);
    }

    private async Task<long> ReadAsync(string projection, string sql, NpgsqlParameter[] parameters,
        Action<NpgsqlDataReader> read, CancellationToken cancellation)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellation);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellation);
        var sequence = await AsyncProjectionRunner.PositionAsync(connection, projection, cancellation);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddRange(parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        while (await reader.ReadAsync(cancellation))
        {
            read(reader);
        }

        return sequence;
    }
}
