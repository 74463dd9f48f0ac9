using System.Globalization;
using Ledger.Messaging.Consumers;
using Marten;
using Npgsql;
using NpgsqlTypes;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace Ledger.Fraud;

/// <summary>A page of alerts and the cursor of the next one, null on the last page.</summary>
public sealed record FraudAlertPage(IReadOnlyList<FraudAlert> Alerts, string? NextCursor);

/// <summary>A freeze a rule asked for and that has not been issued yet.</summary>
public sealed record PendingFreeze(Guid AlertId, string Rule, Guid AccountId);

/// <summary>
/// The fraud consumer's own PostgreSQL schema, <c>ledger_fraud</c>: the debits and deposits it has seen (its window
/// history, one row per event id) and the alerts it raised, with whether each is on <c>ledger.fraud-alerts</c> yet and,
/// for a rule that freezes, whether the freeze was issued and how it ended (<c>freeze_state</c>, ADR-025). Every write is
/// idempotent on its key, so a redelivered event changes nothing.
/// </summary>
public sealed class FraudStore(NpgsqlDataSource dataSource)
{
    public const string Schema = "ledger_fraud";
    public const int LimitDefault = 100;
    public const int LimitMax = 1000;

    /// <summary>The <c>freeze_state</c> of an alert whose rule freezes, until the API has answered for good.</summary>
    public const string FreezePending = "pending";

    private const string AlertColumns = "alert_id, rule, account_id, event_ids, amount_minor, currency, detected_at, occurred_at";

    /// <summary>
    /// Creates the schema, tables and indexes that are missing; safe to call from several processes at once. Hosts do it
    /// at start (ADR-015), never on the way of a message or a request; the store's other methods expect the tables.
    /// </summary>
    public Task CreateTablesAsync(CancellationToken cancellationToken) => ConsumerTables.EnsureAsync(dataSource, BuildTables(), cancellationToken);

    /// <summary>Adds the fraud tables to the ledger's Marten store, so that its migration and schema script cover them.</summary>
    public static void Configure(StoreOptions options) => ConsumerTables.AddTo(options, BuildTables());

    /// <summary>The tables of schema <c>ledger_fraud</c>: the alerts, and the debits and deposits the rules look back on.</summary>
    public static IReadOnlyList<Table> BuildTables()
    {
        var alerts = NewTable("alerts");
        alerts.AddColumn<Guid>("alert_id").AsPrimaryKey();
        alerts.AddColumn("rule", "text").NotNull();
        alerts.AddColumn<Guid>("account_id").NotNull();
        alerts.AddColumn("event_ids", "uuid[]").NotNull();
        alerts.AddColumn<long>("amount_minor").NotNull();
        alerts.AddColumn("currency", "text").NotNull();
        alerts.AddColumn("amount", "text").NotNull();
        alerts.AddColumn<DateTimeOffset>("detected_at").NotNull();
        alerts.AddColumn<DateTimeOffset>("occurred_at").NotNull();
        alerts.AddColumn<bool>("published").NotNull().DefaultValueByExpression("false");
        // Null: the rule does not freeze. 'pending' until the API answered for good, then that answer (FreezeResult.Outcome).
        alerts.AddColumn("freeze_state", "text");
        alerts.Indexes.Add(new IndexDefinition("alerts_detected_at") { Columns = ["detected_at", "alert_id"] });
        alerts.Indexes.Add(new IndexDefinition("alerts_account_id_detected_at") { Columns = ["account_id", "detected_at", "alert_id"] });
        alerts.Indexes.Add(new IndexDefinition("alerts_unpublished") { Columns = ["account_id"], Predicate = "not published" });
        alerts.Indexes.Add(new IndexDefinition("alerts_freeze_pending") { Columns = ["detected_at", "alert_id"], Predicate = "freeze_state = 'pending'" });
        return [alerts, MovementTable("debits"), MovementTable("deposits")];
    }

    private static Table MovementTable(string name)
    {
        var table = NewTable(name);
        table.AddColumn<Guid>("event_id").AsPrimaryKey();
        table.AddColumn<Guid>("account_id").NotNull();
        table.AddColumn<long>("amount_minor").NotNull();
        table.AddColumn("currency", "text").NotNull();
        table.AddColumn<DateTimeOffset>("occurred_at").NotNull();
        table.Indexes.Add(new IndexDefinition($"{name}_account_id_occurred_at") { Columns = ["account_id", "occurred_at"] });
        return table;
    }

    // Primary keys keep the names PostgreSQL gave them when these tables were first created by hand.
    private static Table NewTable(string name) =>
        new(new PostgresqlObjectName(Schema, name, SchemaUtils.IdentifierUsage.General)) { PrimaryKeyName = $"{name}_pkey" };

    /// <summary>Starts the database transaction in which one event is recorded and its alerts inserted.</summary>
    public async Task<FraudTransaction> BeginAsync(CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            return new FraudTransaction(connection, await connection.BeginTransactionAsync(cancellationToken));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Alerts of the account not yet acknowledged by Kafka, oldest first.</summary>
    public async Task<IReadOnlyList<FraudAlert>> UnpublishedAsync(Guid accountId, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var command = dataSource.CreateCommand(
            $"select {AlertColumns} from {Schema}.alerts where account_id = $1 and not published order by detected_at, alert_id limit $2");
        command.Parameters.Add(new NpgsqlParameter { Value = accountId });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        return await ReadAlertsAsync(command, cancellationToken);
    }

    public async Task MarkPublishedAsync(IReadOnlyCollection<Guid> alertIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alertIds);
        await using var command = dataSource.CreateCommand($"update {Schema}.alerts set published = true where alert_id = any($1) and not published");
        command.Parameters.Add(new NpgsqlParameter { Value = alertIds.ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Freezes not issued yet, of every account, in detection order.</summary>
    public async Task<IReadOnlyList<PendingFreeze>> PendingFreezesAsync(int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var command = dataSource.CreateCommand(
            $"select alert_id, rule, account_id from {Schema}.alerts where freeze_state = '{FreezePending}' order by detected_at, alert_id limit $1");
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        var pending = new List<PendingFreeze>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            pending.Add(new PendingFreeze(reader.GetGuid(0), reader.GetString(1), reader.GetGuid(2)));
        }

        return pending;
    }

    /// <summary>Records how the API answered a pending freeze for good; false when it was not pending (another instance's answer came first).</summary>
    public async Task<bool> MarkFreezeAsync(Guid alertId, string outcome, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outcome);
        await using var command = dataSource.CreateCommand($"update {Schema}.alerts set freeze_state = $2 where alert_id = $1 and freeze_state = '{FreezePending}'");
        command.Parameters.Add(new NpgsqlParameter { Value = alertId });
        command.Parameters.Add(new NpgsqlParameter { Value = outcome });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>
    /// Alerts in detection order (<c>detected_at</c>, then <c>alert_id</c>), optionally of one account, after the
    /// position <paramref name="after"/> names (a <see cref="FraudAlertPage.NextCursor"/>). Throws
    /// <see cref="ArgumentException"/> for a cursor this store did not hand out or a limit outside 1..<see cref="LimitMax"/>.
    /// </summary>
    public async Task<FraudAlertPage> AlertsAsync(Guid? accountId, string? after, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, LimitMax);
        var cursor = after is null ? ((DateTimeOffset, Guid)?)null
            : TryParseCursor(after, out var position) ? position : throw new ArgumentException($"'{after}' is not a fraud alert cursor.", nameof(after));
        await using var command = dataSource.CreateCommand(
            $"select {AlertColumns} from {Schema}.alerts where ($1::uuid is null or account_id = $1) " +
            "and ($2::timestamptz is null or (detected_at, alert_id) > ($2, $3::uuid)) order by detected_at, alert_id limit $4");
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)accountId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)cursor?.Item1 ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)cursor?.Item2 ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        // One row more than asked tells whether another page follows.
        command.Parameters.Add(new NpgsqlParameter { Value = limit + 1 });
        var alerts = (await ReadAlertsAsync(command, cancellationToken)).ToList();
        if (alerts.Count <= limit)
        {
            return new FraudAlertPage(alerts, null);
        }

        alerts.RemoveAt(alerts.Count - 1);
        return new FraudAlertPage(alerts, Cursor(alerts[^1]));
    }

    /// <summary>Whether <paramref name="text"/> is a cursor of <see cref="AlertsAsync"/>: microseconds since 1970 and an alert id.</summary>
    public static bool TryParseCursor(string text, out (DateTimeOffset DetectedAt, Guid AlertId) position)
    {
        ArgumentNullException.ThrowIfNull(text);
        position = default;
        var parts = text.Split('_');
        if (parts.Length != 2 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var microseconds)
            || microseconds > (DateTimeOffset.MaxValue - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond
            || !Guid.TryParseExact(parts[1], "N", out var alertId))
        {
            return false;
        }

        position = (DateTimeOffset.UnixEpoch.AddTicks(microseconds * TimeSpan.TicksPerMicrosecond), alertId);
        return true;
    }

    private static string Cursor(FraudAlert alert) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{(alert.DetectedAt - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond}_{alert.AlertId:N}");

    internal static async Task<IReadOnlyList<FraudAlert>> ReadAlertsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var alerts = new List<FraudAlert>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            alerts.Add(new FraudAlert(reader.GetGuid(0), reader.GetString(1), reader.GetGuid(2), reader.GetFieldValue<Guid[]>(3),
                reader.GetInt64(4), reader.GetString(5), reader.GetFieldValue<DateTimeOffset>(6), reader.GetFieldValue<DateTimeOffset>(7)));
        }

        return alerts;
    }
}

/// <summary>
/// One database transaction of the fraud consumer: the event's row and the alerts it raised commit together or not at
/// all. Disposing without <see cref="CommitAsync"/> rolls back.
/// </summary>
public sealed class FraudTransaction : IAsyncDisposable
{
    private const string Schema = FraudStore.Schema;

    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;

    internal FraudTransaction(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        _connection = connection;
        _transaction = transaction;
    }

    /// <summary>Records the movement; false when its event id was recorded before (a redelivery).</summary>
    public async Task<bool> RecordAsync(FraudMovement movement, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(movement);
        await using var command = Command(
            $"insert into {Schema}.{Table(movement.Kind)} (event_id, account_id, amount_minor, currency, occurred_at) " +
            "values ($1, $2, $3, $4, $5) on conflict (event_id) do nothing",
            movement.EventId, movement.AccountId, movement.AmountMinor, movement.Currency, movement.OccurredAt);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>The account's movements of one kind and currency with <c>occurredAt</c> in <c>[from, to]</c>, in event-time order.</summary>
    public async Task<IReadOnlyList<FraudMovement>> MovementsAsync(MovementKind kind, Guid accountId, string currency, DateTimeOffset from,
        DateTimeOffset to, CancellationToken cancellationToken)
    {
        await using var command = Command(
            $"select event_id, amount_minor, occurred_at from {Schema}.{Table(kind)} " +
            "where account_id = $1 and currency = $2 and occurred_at >= $3 and occurred_at <= $4 order by occurred_at, event_id",
            accountId, currency, from, to);
        var movements = new List<FraudMovement>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            movements.Add(new FraudMovement(reader.GetGuid(0), accountId, kind, reader.GetInt64(1), currency, reader.GetFieldValue<DateTimeOffset>(2)));
        }

        return movements;
    }

    /// <summary>Those of <paramref name="depositIds"/> that a deposit-drain alert of the account already names.</summary>
    public async Task<IReadOnlySet<Guid>> DrainedDepositsAsync(Guid accountId, IReadOnlyCollection<Guid> depositIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(depositIds);
        var drained = new HashSet<Guid>();
        if (depositIds.Count == 0)
        {
            return drained;
        }

        await using var command = Command(
            $"select distinct id from {Schema}.alerts, unnest(event_ids) id where account_id = $1 and rule = $2 and id = any($3)",
            accountId, FraudRules.DepositDrain, depositIds.ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            drained.Add(reader.GetGuid(0));
        }

        return drained;
    }

    /// <summary>
    /// Inserts the alerts, those for which <paramref name="freezes"/> holds with a pending freeze (ADR-025); an alert id
    /// stored before is left as it is. Returns how many were new.
    /// </summary>
    public async Task<int> InsertAlertsAsync(IEnumerable<FraudAlert> alerts, Func<FraudAlert, bool> freezes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        ArgumentNullException.ThrowIfNull(freezes);
        var inserted = 0;
        foreach (var alert in alerts)
        {
            await using var command = Command(
                $"insert into {Schema}.alerts (alert_id, rule, account_id, event_ids, amount_minor, currency, amount, detected_at, occurred_at, published, freeze_state) " +
                "values ($1, $2, $3, $4, $5, $6, $7, $8, $9, false, $10) on conflict (alert_id) do nothing",
                alert.AlertId, alert.Rule, alert.AccountId, alert.EventIds.ToArray(), alert.AmountMinor, alert.Currency, alert.Amount,
                alert.DetectedAt, alert.OccurredAt, freezes(alert) ? FraudStore.FreezePending : DBNull.Value);
            command.Parameters[^1].NpgsqlDbType = NpgsqlDbType.Text;
            inserted += await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return inserted;
    }

    public Task CommitAsync(CancellationToken cancellationToken) => _transaction.CommitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _transaction.DisposeAsync();
        await _connection.DisposeAsync();
    }

    private static string Table(MovementKind kind) => kind == MovementKind.Debit ? "debits" : "deposits";

    private NpgsqlCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlCommand(sql, _connection, _transaction);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }
}
