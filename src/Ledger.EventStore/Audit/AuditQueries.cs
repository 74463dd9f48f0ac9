using System.Data;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Ledger.Domain.Accounts;
using Ledger.EventStore.MartenStorage;
using Npgsql;

namespace Ledger.EventStore.Audit;

/// <summary>The account after one of its events: the state, the stream version and the global sequence it reflects.</summary>
public sealed record AccountSnapshot(Account State, long Version, long Sequence);

/// <summary>
/// One event of an account, as auditors read it. <see cref="BalanceAfterMinor"/> is the ledger balance after it;
/// <see cref="HeldAfterMinor"/> the account's open holds then, and <see cref="AvailableAfterMinor"/> what a debit could
/// then take (balance plus overdraft limit minus held), both from the state recorded with the entry.
/// </summary>
public sealed record AccountEntry(
    Guid AccountId,
    long Version,
    long Sequence,
    Guid EventId,
    string Type,
    string Currency,
    long AmountMinor,
    long BalanceAfterMinor,
    DateTimeOffset OccurredAt,
    Guid? TransferId,
    Guid? CounterpartyAccountId,
    string? Reference,
    string? CorrelationId,
    Actor? Actor,
    string Hash,
    JsonElement Data,
    long HeldAfterMinor,
    decimal AvailableAfterMinor);

public sealed record CurrencyBalance(string Currency, long Accounts, decimal TotalBalanceMinor, decimal TotalDepositedMinor, decimal TotalWithdrawnMinor);

public sealed record TrialBalance(IReadOnlyList<CurrencyBalance> Currencies, long Sequence);

/// <summary>
/// Read-only SQL over <see cref="AccountEntriesTable"/>. Every lookup is by index (account and version or time), so its
/// cost does not grow with an account's history.
/// </summary>
public sealed class AuditQueries(NpgsqlDataSource dataSource)
{
    private const string Table = AccountEntriesTable.QualifiedName;
    private const string EntryColumns =
        "account_id, version, sequence, event_id, type, currency, amount_minor, balance_after_minor, occurred_at, transfer_id, " +
        "counterparty_account_id, reference, correlation_id, hash, data::text, actor_subject, actor_role, " +
        $"{HeldMinor}, balance_after_minor::numeric + (state->>'overdraftLimitMinor')::numeric - {HeldMinor}";

    /// <summary>The open holds in an entry's state; entries written before holds existed have none.</summary>
    private const string HeldMinor = "coalesce((state->>'heldMinor')::bigint, 0)";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public Task<AccountSnapshot?> LatestAsync(Guid accountId, CancellationToken cancellationToken) =>
        SnapshotAsync($"where account_id = $1 order by version desc limit 1", cancellationToken, accountId);

    public Task<AccountSnapshot?> AtVersionAsync(Guid accountId, long version, CancellationToken cancellationToken) =>
        SnapshotAsync($"where account_id = $1 and version = $2", cancellationToken, accountId, version);

    /// <summary>The account after every event that occurred at or before <paramref name="instant"/>.</summary>
    public Task<AccountSnapshot?> AsOfAsync(Guid accountId, DateTimeOffset instant, CancellationToken cancellationToken) =>
        SnapshotAsync($"where account_id = $1 and occurred_at <= $2 order by occurred_at desc, version desc limit 1", cancellationToken,
            accountId, instant);

    private async Task<AccountSnapshot?> SnapshotAsync(string filter, CancellationToken cancellationToken, params object[] values)
    {
        await using var command = Command($"select state::text, version, sequence from {Table} {filter}", values);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var state = JsonSerializer.Deserialize<Account>(reader.GetString(0), Json)!;
        return new AccountSnapshot(state, reader.GetInt64(1), reader.GetInt64(2));
    }

    /// <summary>Entries in version order after <paramref name="afterVersion"/>, optionally within an occurrence-time window.</summary>
    public async IAsyncEnumerable<AccountEntry> EntriesAsync(Guid accountId, DateTimeOffset? from, DateTimeOffset? to, long afterVersion,
        int limit, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = Command(
            $"select {EntryColumns} from {Table} where account_id = $1 and version > $2 " +
            "and ($3::timestamptz is null or occurred_at >= $3) and ($4::timestamptz is null or occurred_at <= $4) " +
            "order by version limit $5",
            accountId, afterVersion, from is { } f ? CeilingToMicrosecond(f) : DBNull.Value, (object?)to ?? DBNull.Value, limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return ReadEntry(reader);
        }
    }

    /// <summary>
    /// Every account's last entry at or before <c>$1</c>, one index descent per account, summed per currency. The accounts
    /// are the ledger's streams (<see cref="MartenTables.SelectStreamIds"/>: every appended event's stream, and so every
    /// entry's account, is one), taken in id order so that consecutive descents read neighbouring index pages; each one's
    /// entry is a backward step on (account_id, occurred_at, version), which also holds the columns summed, so the table
    /// itself is not read. Event time never goes backwards within an account, so the latest entry by time is the latest by
    /// version among those at or before the instant. Streams with no entry yet (tombstones' among them) add nothing.
    /// </summary>
    private const string LastEntriesPerCurrency =
        $"""
        select last.currency, count(*), coalesce(sum(last.balance_after_minor), 0), coalesce(sum(last.deposited_to_date_minor), 0),
               coalesce(sum(last.withdrawn_to_date_minor), 0), coalesce(max(last.sequence), 0),
               count(*) filter (where last.deposited_to_date_minor is null or last.withdrawn_to_date_minor is null)
        from ({MartenTables.SelectStreamIds} order by id) a cross join lateral (
            select x.currency, x.balance_after_minor, x.deposited_to_date_minor, x.withdrawn_to_date_minor, x.sequence from {Table} x
            where x.account_id = a.id and x.occurred_at <= $1 order by x.occurred_at desc, x.version desc limit 1) last
        group by last.currency order by last.currency
        """;

    /// <summary>
    /// Deposits and withdrawals summed over every movement up to <c>$1</c>: the definition the totals to date keep
    /// (<see cref="AccountEventTypes.ToDate"/>). A hold captured out of the ledger is a withdrawal; it is the only capture
    /// without a counterparty.
    /// </summary>
    private const string MovementsPerCurrency =
        "select currency, coalesce(sum(amount_minor) filter (where type = 'MoneyDeposited'), 0), " +
        "coalesce(-sum(amount_minor) filter (where type = 'MoneyWithdrawn' or (type = 'HoldCaptured' and counterparty_account_id is null)), 0) " +
        $"from {Table} where occurred_at <= $1 group by currency";

    /// <summary>
    /// Balances per currency at an instant, read in one repeatable-read snapshot so that a transfer's two legs are
    /// either both in it or both out. Two independent sums that must agree, both over each account's last entry at the
    /// instant: the balances (the domain's fold), and the deposits and withdrawals to date (sums of the movements, kept
    /// per entry). The cost is one index descent per account, whatever the length of the history. While some account's
    /// entry has no totals to date (a database migrated but not yet rebuilt), the movements are summed from every entry
    /// instead, as before the totals existed: slower, the same answer.
    /// </summary>
    public async Task<TrialBalance> TrialBalanceAsync(DateTimeOffset instant, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        // One index descent per account: cheaper than the JIT compilation PostgreSQL would start for its cost estimate.
        await using (var noJit = new NpgsqlCommand("set local jit = off", connection, transaction))
        {
            await noJit.ExecuteNonQueryAsync(cancellationToken);
        }

        var lastEntries = new List<(string Currency, long Accounts, decimal Balance, decimal Deposited, decimal Withdrawn)>();
        long sequence = 0, withoutTotals = 0;
        await using (var command = new NpgsqlCommand(LastEntriesPerCurrency, connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = instant });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                lastEntries.Add((reader.GetString(0), reader.GetInt64(1), reader.GetDecimal(2), reader.GetDecimal(3), reader.GetDecimal(4)));
                sequence = Math.Max(sequence, reader.GetInt64(5));
                withoutTotals += reader.GetInt64(6);
            }
        }

        var movements = withoutTotals == 0
            ? lastEntries.ToDictionary(last => last.Currency, last => (last.Deposited, last.Withdrawn), StringComparer.Ordinal)
            : await MovementsAsync(connection, transaction, instant, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        var currencies = lastEntries.ConvertAll(last =>
        {
            var (deposited, withdrawn) = movements.GetValueOrDefault(last.Currency);
            return new CurrencyBalance(last.Currency, last.Accounts, last.Balance, deposited, withdrawn);
        });
        return new TrialBalance(currencies, sequence);
    }

    private static async Task<Dictionary<string, (decimal Deposited, decimal Withdrawn)>> MovementsAsync(NpgsqlConnection connection,
        NpgsqlTransaction transaction, DateTimeOffset instant, CancellationToken cancellationToken)
    {
        var movements = new Dictionary<string, (decimal, decimal)>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand(MovementsPerCurrency, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = instant });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            movements[reader.GetString(0)] = (reader.GetDecimal(1), reader.GetDecimal(2));
        }

        return movements;
    }

    /// <summary>
    /// PostgreSQL keeps microseconds and drops finer digits of a parameter, which is harmless for "at or before" but
    /// would let "at or after 10.0000001" match an event at 10.000000: round lower bounds up instead.
    /// </summary>
    private static DateTimeOffset CeilingToMicrosecond(DateTimeOffset instant)
    {
        var remainder = instant.Ticks % TimeSpan.TicksPerMicrosecond;
        var up = TimeSpan.TicksPerMicrosecond - remainder;
        // In the last microsecond .NET can express there is nothing to round up to; no event is recorded that late.
        return remainder == 0 || instant.UtcTicks > DateTimeOffset.MaxValue.UtcTicks - up ? instant : instant.AddTicks(up);
    }

    private NpgsqlCommand Command(string sql, params object[] values)
    {
        var command = dataSource.CreateCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }

    private static AccountEntry ReadEntry(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetGuid(3), reader.GetString(4), reader.GetString(5),
        reader.GetInt64(6), reader.GetInt64(7), reader.GetFieldValue<DateTimeOffset>(8),
        reader.IsDBNull(9) ? null : reader.GetGuid(9), reader.IsDBNull(10) ? null : reader.GetGuid(10),
        reader.IsDBNull(11) ? null : reader.GetString(11), reader.IsDBNull(12) ? null : reader.GetString(12),
        Actor.From(reader.IsDBNull(15) ? null : reader.GetString(15), reader.IsDBNull(16) ? null : reader.GetString(16)),
        reader.GetString(13), JsonDocument.Parse(reader.GetString(14)).RootElement.Clone(), reader.GetInt64(17), reader.GetDecimal(18));
}
