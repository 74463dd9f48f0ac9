namespace Ledger.EventStore.MartenStorage;

/// <summary>
/// The one place the ledger names Marten's own tables (events, streams, documents, progression) and writes SQL against
/// them (ADR-013). Marten owns their shape and may change it in any release, so nothing else in the ledger spells a
/// table or column of theirs: readers and writers take their statements from here, and <see cref="ReliedOn"/> lists every
/// column these statements use with the type they expect, which a test compares with the schema the Marten version in
/// use creates. An upgrade that changes one of them fails that test, with the column named, and nothing else.
/// </summary>
public static class MartenTables
{
    public const string Events = $"{LedgerStore.Schema}.mt_events";
    public const string EventSequence = $"{LedgerStore.Schema}.mt_events_sequence";
    public const string Streams = $"{LedgerStore.Schema}.mt_streams";
    public const string Progression = $"{LedgerStore.Schema}.mt_event_progression";

    /// <summary>The document aliases <see cref="LedgerStore.Configure"/> gives Marten; its table for alias X is mt_doc_X.</summary>
    public const string AccountAlias = "account";
    public const string TransferReceiptAlias = "transfer_receipt";
    public const string HoldAlias = "hold";
    public const string AccountDocuments = $"mt_doc_{AccountAlias}";
    public const string TransferReceiptDocuments = $"mt_doc_{TransferReceiptAlias}";
    public const string HoldDocuments = $"mt_doc_{HoldAlias}";

    /// <summary>The column Marten duplicates a hold's account into (<c>Duplicate(hold =&gt; hold.AccountId)</c>).</summary>
    public const string HoldAccountColumn = "account_id";

    /// <summary>The columns of an event a replay reads, in the order <see cref="Projections.EventReader"/> reads them.</summary>
    private const string ReplayColumns = $"stream_id, version, seq_id, id, type, data, correlation_id, {ActorColumns}";

    /// <summary>An event's actor (<see cref="Actor"/>): the user name Marten records and the role header, as two text columns.</summary>
    private const string ActorColumns = $"user_name, headers ->> '{Actor.RoleHeader}'";

    /// <summary>The ledger's events with <c>@after &lt; seq_id &lt;= @upTo</c>, in sequence order.</summary>
    public const string SelectEventsInRange =
        $"select {ReplayColumns} from {Events} where seq_id > @after and seq_id <= @upTo and {Tombstones.NotTombstone} order by seq_id";

    /// <summary>The ledger's events of the streams <c>@ids</c> after the versions <c>@versions</c>, in version order per stream.</summary>
    public const string SelectStreamsAfter =
        $"select {ReplayColumns} from {Events} e join unnest(@ids, @versions) as s(stream_id, after_version) using (stream_id) " +
        $"where e.version > s.after_version and {Tombstones.NotTombstone} order by e.stream_id, e.version";

    /// <summary>The ledger's events up to <c>@ceiling</c> (a rebuild's total).</summary>
    public const string CountEventsUpTo = $"select count(*) from {Events} where seq_id <= @ceiling and {Tombstones.NotTombstone}";

    /// <summary>
    /// Every stream's id. Every event's stream is among them: <c>mt_events.stream_id</c> references this table (its foreign
    /// key, which deletes a stream's events with its row).
    /// </summary>
    public const string SelectStreamIds = $"select id from {Streams}";

    /// <summary>Every stream's id and current version (a rebuild's catch-up per stream).</summary>
    public const string SelectStreamVersions = $"select id, version from {Streams}";

    /// <summary>The first of the streams <c>@ids</c> that exists, if any.</summary>
    public const string SelectFirstExistingStream = $"select id from {Streams} where id = any(@ids) limit 1";

    /// <summary>
    /// Locks the streams <c>@ids</c> for the transaction, in ascending id order (the rows are locked as the sort yields them), as
    /// Marten's exclusive fetch locks one stream: every writer of the ledger takes stream locks in that order, so writers never
    /// deadlock (ADR-003, ADR-018).
    /// </summary>
    public const string LockStreams = $"select id from {Streams} where id = any(@ids) order by id for update";

    /// <summary>
    /// Stops appends of account events and lets readers go on: every append locks its stream's row in this table (or
    /// inserts it) before anything else (the rebuild switch's first lock, ADR-007).
    /// </summary>
    public const string StopAppends = $"lock table {Streams} in exclusive mode";

    /// <summary>Makes appends wait at their insert while readers go on (the seed, which holds its sequence numbers uncommitted).</summary>
    public const string HoldEventInserts = $"lock table {Events} in exclusive mode";

    /// <summary>Takes <c>@count</c> numbers from Marten's event sequence, as its appends do.</summary>
    public const string ReserveSequences = $"select nextval('{EventSequence}') from generate_series(1, @count)";

    /// <summary>The committed head (ADR-008): tombstones included, they hold committed positions.</summary>
    public const string HeadSql = $"(select coalesce(max(seq_id), 0) from {Events})";

    /// <summary>The ledger's events after a position (an SQL expression), tombstones left out (ADR-008).</summary>
    public static string LagSql(string position) =>
        $"(select count(*) from {Events} where seq_id > {position} and {Tombstones.NotTombstone})";

    /// <summary>
    /// The first gaps in the sequence above <c>@after</c> (each as the sequence before it and the one after it, at most
    /// <c>@gaps</c>), looking at most <c>@scan</c> rows ahead, and one row with the highest sequence seen and a null.
    /// Tombstones count as rows: they fill the positions of failed appends (ADR-008).
    /// </summary>
    public const string SelectSequenceGaps =
        $"""
        with s as (
            select seq_id, lag(seq_id, 1, @after) over (order by seq_id) as previous
            from (select seq_id from {Events} where seq_id > @after order by seq_id limit @scan) ahead)
        select previous, seq_id from s where seq_id > previous + 1
        union all
        select coalesce(max(seq_id), @after), null from s
        order by 1 limit @gaps
        """;

    /// <summary>
    /// The ledger's events with the columns the integrity check reads (stream_id, version, seq_id, id, type, data, and the
    /// actor as user_name and actor_role), as a subquery; of one stream (<c>$1</c>) or all.
    /// Tombstones sit on a stream of their own and belong to no account's chain (ADR-008).
    /// </summary>
    public static string EventsForIntegrity(bool oneStream) =>
        $"(select stream_id, version, seq_id, id, type, data, {ActorColumns} as actor_role from {Events} where {Tombstones.NotTombstone}" +
        (oneStream ? " and stream_id = $1)" : ")");

    /// <summary>The last sequence the daemon's shard named <c>$1</c> has processed (0 before it ever ran), as a scalar subquery.</summary>
    public const string ShardPositionSql = $"coalesce((select last_seq_id from {Progression} where name = $1), 0)";

    /// <summary>A column of Marten's that a statement here relies on, and its type as <c>information_schema.columns</c> names it.</summary>
    public sealed record Column(string Table, string Name, string DataType);

    private const string Bigint = "bigint";
    private const string Uuid = "uuid";
    private const string Jsonb = "jsonb";
    private const string Text = "character varying";
    private const string Time = "timestamp with time zone";

    /// <summary>Every column of Marten's tables that the statements here and <see cref="MartenBulkWriter"/> use.</summary>
    public static IReadOnlyList<Column> ReliedOn { get; } =
    [
        new("mt_events", "seq_id", Bigint), new("mt_events", "id", Uuid), new("mt_events", "stream_id", Uuid),
        new("mt_events", "version", Bigint), new("mt_events", "data", Jsonb), new("mt_events", "type", Text),
        new("mt_events", "timestamp", Time), new("mt_events", "tenant_id", Text), new("mt_events", "mt_dotnet_type", Text),
        new("mt_events", "correlation_id", Text), new("mt_events", "is_archived", "boolean"),
        new("mt_events", "user_name", Text), new("mt_events", "headers", Jsonb),
        new("mt_streams", "id", Uuid), new("mt_streams", "type", Text), new("mt_streams", "version", Bigint),
        new("mt_streams", "timestamp", Time), new("mt_streams", "created", Time), new("mt_streams", "tenant_id", Text),
        new(AccountDocuments, "id", Uuid), new(AccountDocuments, "data", Jsonb), new(AccountDocuments, "mt_dotnet_type", Text),
        new(AccountDocuments, "mt_version", Bigint),
        new(TransferReceiptDocuments, "id", Uuid), new(TransferReceiptDocuments, "data", Jsonb),
        new(TransferReceiptDocuments, "mt_dotnet_type", Text),
        new(HoldDocuments, "id", Uuid), new(HoldDocuments, "data", Jsonb), new(HoldDocuments, "mt_dotnet_type", Text),
        new(HoldDocuments, HoldAccountColumn, Uuid),
        new("mt_event_progression", "name", Text), new("mt_event_progression", "last_seq_id", Bigint),
    ];
}
