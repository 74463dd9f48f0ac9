using Confluent.Kafka;
using Ledger.Messaging.Consumers;
using Marten;
using Npgsql;
using NpgsqlTypes;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace Ledger.AuditLog;

/// <summary>What the audit log holds, and what it noticed about the messages it received.</summary>
/// <param name="Entries">Rows in the log: one per distinct <c>ce_id</c>.</param>
/// <param name="Accounts">Distinct accounts with at least one row.</param>
/// <param name="DuplicatesIgnored">Deliveries, at an offset not processed before, of a <c>ce_id</c> already in the log.</param>
/// <param name="Redeliveries">Deliveries of an offset this consumer group had already processed (after a restart or rebalance).</param>
/// <param name="OutOfOrder">New events whose stream version was not above every version already received for their account.</param>
/// <param name="VersionConflicts">Rows beyond the first for an (account, stream version): different events claiming one version.</param>
/// <param name="AccountsWithGaps">Accounts missing at least one version between 1 and their highest; <see cref="Gaps"/> lists the first of them.</param>
/// <param name="Gaps">At most <see cref="AuditLogStore.GapAccountsMax"/> accounts, by account id.</param>
public sealed record AuditStatus(
    long Entries,
    long Accounts,
    long DuplicatesIgnored,
    long Redeliveries,
    long OutOfOrder,
    long VersionConflicts,
    long AccountsWithGaps,
    IReadOnlyList<AuditGap> Gaps)
{
    /// <summary>
    /// Open gaps of group <c>ledger-audit</c> (<see cref="ConsumerGapStore"/>): offset ranges that were gone from Kafka when
    /// the consumer came to read them, with the sequence range to republish.
    /// </summary>
    public IReadOnlyList<ConsumerGap> LostMessages { get; init; } = [];
}

/// <param name="MissingCount">All versions missing between 1 and the account's highest received version.</param>
/// <param name="MissingVersions">The first <see cref="AuditLogStore.MissingVersionsPerAccountMax"/> of them, ascending.</param>
public sealed record AuditGap(Guid AccountId, long MissingCount, IReadOnlyList<long> MissingVersions);

/// <summary>
/// The audit consumer's append-only log, in its own schema <c>ledger_audit</c>: one row per <c>ce_id</c>. A message's
/// row and the group's offset bookkeeping are written by one statement, hence in one transaction, and the row insert
/// does nothing for a <c>ce_id</c> already present, so a redelivered message has exactly one effect.
/// </summary>
public sealed class AuditLogStore(NpgsqlDataSource dataSource)
{
    public const string Schema = "ledger_audit";

    /// <summary>Upper bound of the accounts listed in <see cref="AuditStatus.Gaps"/>.</summary>
    public const int GapAccountsMax = 100;

    /// <summary>Upper bound of the missing versions listed per account.</summary>
    public const int MissingVersionsPerAccountMax = 100;

    private const string DuplicatesIgnoredCounter = "duplicates_ignored";
    private const string RedeliveriesCounter = "redeliveries";
    private const string OutOfOrderCounter = "out_of_order";

    // PostgreSQL refuses some valid JSON in jsonb (a \u0000 escape): such a message can never be stored.
    private static readonly HashSet<string> UnstorablePayloadStates = new(StringComparer.Ordinal)
    {
        PostgresErrorCodes.UntranslatableCharacter,
        PostgresErrorCodes.CharacterNotInRepertoire,
        PostgresErrorCodes.InvalidTextRepresentation,
    };

    // One statement: the row, the counters and the offset bookkeeping commit together or not at all. Subqueries read
    // the snapshot taken before the statement, so "prior" is the account's highest version before this row and
    // "processed" the group's next offset before this message.
    private const string RecordSql = $"""
        with inserted as (
            insert into {Schema}.audit_log (ce_id, account_id, stream_version, sequence, type, payload, occurred_at, received_at, topic, partition, "offset",
                                            actor, actor_role)
            values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $13, $14)
            on conflict (ce_id) do nothing
            returning stream_version),
        prior as (
            select max(stream_version) as version from {Schema}.audit_log where account_id = $2),
        processed as (
            select next_offset from {Schema}.consumed_offsets where consumer_group = $12 and topic = $9 and partition = $10),
        counted as (
            insert into {Schema}.counters (name, value)
            select '{RedeliveriesCounter}', 1
                where not exists (select from inserted) and $11 < coalesce((select next_offset from processed), 0)
            union all
            select '{DuplicatesIgnoredCounter}', 1
                where not exists (select from inserted) and $11 >= coalesce((select next_offset from processed), 0)
            union all
            select '{OutOfOrderCounter}', 1
                from inserted, prior where prior.version >= inserted.stream_version
            on conflict (name) do update set value = {Schema}.counters.value + excluded.value),
        stored as (
            insert into {Schema}.consumed_offsets (consumer_group, topic, partition, next_offset)
            values ($12, $9, $10, $11 + 1)
            on conflict (consumer_group, topic, partition)
                do update set next_offset = greatest({Schema}.consumed_offsets.next_offset, excluded.next_offset))
        select count(*) from inserted
        """;

    private const string TotalsSql = $"""
        select count(*),
               count(distinct account_id),
               count(*) - count(distinct (account_id, stream_version)),
               coalesce((select value from {Schema}.counters where name = '{DuplicatesIgnoredCounter}'), 0),
               coalesce((select value from {Schema}.counters where name = '{RedeliveriesCounter}'), 0),
               coalesce((select value from {Schema}.counters where name = '{OutOfOrderCounter}'), 0)
        from {Schema}.audit_log
        """;

    // Holes are runs of missing versions between consecutive received ones (the first after an implicit version 0).
    // Every hole holds at least one missing version, so the first $2 holes, each cut to $2 versions, contain the first
    // $2 missing versions: the work stays bounded however large a hole or however many holes there are.
    private const string GapsSql = $"""
        with versions as (
            select distinct account_id, stream_version from {Schema}.audit_log),
        holes as (
            select account_id, previous + 1 as first_missing, stream_version - 1 as last_missing
            from (select account_id, stream_version,
                         lag(stream_version, 1, 0::bigint) over (partition by account_id order by stream_version) as previous
                  from versions) ordered
            where stream_version - previous > 1),
        accounts as (
            select account_id, sum(last_missing - first_missing + 1)::bigint as missing_count
            from holes group by account_id)
        select account_id, missing_count,
               array(select version
                     from (select first_missing, last_missing from holes
                           where holes.account_id = accounts.account_id order by first_missing limit $2) first_holes,
                          generate_series(first_missing, least(last_missing, first_missing + $2 - 1)) version
                     order by version limit $2),
               count(*) over ()
        from accounts
        order by account_id
        limit $1
        """;

    /// <summary>Adds the audit log's tables to the ledger's Marten store, so that its migration and schema script cover them.</summary>
    public static void Configure(StoreOptions options) => ConsumerTables.AddTo(options, BuildTables());

    /// <summary>The tables of schema <c>ledger_audit</c>: the log, the group's offset bookkeeping and the counters.</summary>
    public static IReadOnlyList<Table> BuildTables()
    {
        var log = NewTable("audit_log");
        log.AddColumn<Guid>("ce_id").AsPrimaryKey();
        log.AddColumn<Guid>("account_id").NotNull();
        log.AddColumn<long>("stream_version").NotNull();
        log.AddColumn<long>("sequence").NotNull();
        log.AddColumn("type", "text").NotNull();
        log.AddColumn("payload", "jsonb").NotNull();
        log.AddColumn<DateTimeOffset>("occurred_at").NotNull();
        log.AddColumn<DateTimeOffset>("received_at").NotNull();
        log.AddColumn("topic", "text").NotNull();
        log.AddColumn<int>("partition").NotNull();
        log.AddColumn<long>("offset").NotNull();
        // The ce_actor and ce_actorrole extensions: who appended the event; null on messages without them.
        log.AddColumn("actor", "text");
        log.AddColumn("actor_role", "text");
        log.Indexes.Add(new IndexDefinition("audit_log_account_version") { Columns = ["account_id", "stream_version"] });

        var offsets = NewTable("consumed_offsets");
        offsets.AddColumn("consumer_group", "text").AsPrimaryKey();
        offsets.AddColumn("topic", "text").AsPrimaryKey();
        offsets.AddColumn<int>("partition").AsPrimaryKey();
        offsets.AddColumn<long>("next_offset").NotNull();

        var counters = NewTable("counters");
        counters.AddColumn("name", "text").AsPrimaryKey();
        counters.AddColumn<long>("value").NotNull();
        return [log, offsets, counters];
    }

    // Primary keys keep the names PostgreSQL gave them when these tables were first created by hand.
    private static Table NewTable(string name) =>
        new(new PostgresqlObjectName(Schema, name, SchemaUtils.IdentifierUsage.General)) { PrimaryKeyName = $"{name}_pkey" };

    private readonly ConsumerGapStore _gaps = new(dataSource);
    /// <summary>
    /// Creates the schema and its tables, and the gaps table its status reports, when missing; safe to call from several
    /// processes at once. Hosts do it at start (ADR-015), never on the way of a message or a request; the store's other
    /// methods expect the tables.
    /// </summary>
    public Task CreateTablesAsync(CancellationToken cancellationToken = default) =>
        ConsumerTables.EnsureAsync(dataSource, [.. BuildTables(), ConsumerGapStore.BuildTable()], cancellationToken);

    /// <summary>
    /// Appends the message's row unless its <c>ce_id</c> is already there, and records that <paramref name="consumerGroup"/>
    /// processed <paramref name="position"/>, in one transaction. Returns whether a row was added.
    /// Throws <see cref="PoisonMessageException"/> when PostgreSQL can never store the payload.
    /// </summary>
    public async Task<bool> RecordAsync(AccountEventMessage message, string consumerGroup, TopicPartitionOffset position,
        DateTimeOffset receivedAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentException.ThrowIfNullOrWhiteSpace(consumerGroup);
        ArgumentNullException.ThrowIfNull(position);
        ArgumentOutOfRangeException.ThrowIfNegative(position.Offset.Value, nameof(position));

        await using var command = dataSource.CreateCommand(RecordSql);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = message.EventId });
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = message.AccountId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = message.StreamVersion });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = message.Sequence });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = message.Type });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = message.Payload, NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = message.Time.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = receivedAt.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = position.Topic });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = position.Partition.Value });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = position.Offset.Value });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = consumerGroup });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)message.Actor ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)message.ActorRole ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        try
        {
            return (long)(await command.ExecuteScalarAsync(cancellationToken))! == 1;
        }
        catch (PostgresException exception) when (UnstorablePayloadStates.Contains(exception.SqlState))
        {
            throw new PoisonMessageException($"PostgreSQL cannot store the payload as jsonb: {exception.MessageText}");
        }
    }

    /// <summary>The offset the group would process next on a partition according to the log, or null when it processed none there.</summary>
    public async Task<long?> NextOffsetAsync(string consumerGroup, TopicPartition partition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(partition);
        await using var command = dataSource.CreateCommand(
            $"select next_offset from {Schema}.consumed_offsets where consumer_group = $1 and topic = $2 and partition = $3");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = consumerGroup });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = partition.Topic });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition.Partition.Value });
        return await command.ExecuteScalarAsync(cancellationToken) is long next ? next : null;
    }

    /// <summary>Counts and per-account gaps; reads the whole log, so it is for operators, not for a hot path.</summary>
    public async Task<AuditStatus> StatusAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // One snapshot for both queries, so the counts and the gaps describe the same log.
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);

        long entries, accounts, conflicts, duplicates, redeliveries, outOfOrder;
        await using (var totals = new NpgsqlCommand(TotalsSql, connection, transaction))
        await using (var reader = await totals.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            (entries, accounts, conflicts) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
            (duplicates, redeliveries, outOfOrder) = (reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5));
        }

        var gaps = new List<AuditGap>();
        long accountsWithGaps = 0;
        await using (var query = new NpgsqlCommand(GapsSql, connection, transaction))
        {
            query.Parameters.Add(new NpgsqlParameter<int> { TypedValue = GapAccountsMax });
            query.Parameters.Add(new NpgsqlParameter<int> { TypedValue = MissingVersionsPerAccountMax });
            await using var reader = await query.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                gaps.Add(new AuditGap(reader.GetGuid(0), reader.GetInt64(1), reader.GetFieldValue<long[]>(2)));
                accountsWithGaps = reader.GetInt64(3);
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return new AuditStatus(entries, accounts, duplicates, redeliveries, outOfOrder, conflicts, accountsWithGaps, gaps)
        {
            LostMessages = await _gaps.OpenAsync(AuditConsumer.Group, cancellationToken),
        };
    }
}
