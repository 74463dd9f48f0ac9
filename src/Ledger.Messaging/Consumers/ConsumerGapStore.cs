using Npgsql;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace Ledger.Messaging.Consumers;

/// <summary>
/// Messages a consumer group will never receive from Kafka: offsets <see cref="FirstOffset"/>..<see cref="LastOffset"/>
/// of a partition were gone (retention, a bounded embedded broker) when the group came to read them. The events lost
/// lie between global sequences <see cref="AfterSequence"/> and <see cref="BeforeSequence"/>, exclusive: the relay
/// publishes in sequence order, so what was on the partition between the last message the group processed and the
/// first one it found after the hole is in that range. Republishing it (<c>ledger relay republish</c>) repairs the gap.
/// </summary>
/// <param name="AfterSequence">Sequence of the last message the group processed on the partition before the gap; null when this run had processed none there (the range then starts at the first event).</param>
/// <param name="BeforeSequence">Sequence of the first message found after the gap; null when that message had none readable (the range then runs to the last event).</param>
/// <param name="RepairedBy">What repaired it, e.g. <c>republish 120..480</c>; null while open.</param>
public sealed record ConsumerGap(
    long Id,
    string ConsumerGroup,
    string Topic,
    int Partition,
    long FirstOffset,
    long LastOffset,
    long? AfterSequence,
    long? BeforeSequence,
    DateTimeOffset DetectedAt,
    DateTimeOffset? RepairedAt,
    string? RepairedBy)
{
    public long MissingMessages => LastOffset - FirstOffset + 1;

    /// <summary>First sequence to republish to fill the gap.</summary>
    public long RepublishFromSequence => (AfterSequence ?? 0) + 1;

    /// <summary>Last sequence to republish to fill the gap; null for "up to the last event".</summary>
    public long? RepublishToSequence => BeforeSequence - 1;
}

/// <summary>
/// Gaps that consumers found, in schema <c>ledger_consumers</c> of the ledger's database, shared by every process that
/// consumes (the API, the workers) and by <c>ledger relay republish</c>, which marks the gaps it fills as repaired.
/// A gap stays open, and <c>/health/ready</c> degraded, until a republish covers its sequence range.
/// </summary>
public sealed class ConsumerGapStore(NpgsqlDataSource dataSource)
{
    public const string Schema = "ledger_consumers";

    /// <summary>Upper bound of the gaps a listing returns.</summary>
    public const int ListMax = 100;

    // The name PostgreSQL gave the unique constraint when the table was first created by hand, kept so that existing
    // databases match the declaration.
    private const string GapIdentityIndex = "gaps_consumer_group_topic_partition_first_offset_before_seq_key";

    private const string Columns =
        "id, consumer_group, topic, partition, first_offset, last_offset, after_sequence, before_sequence, detected_at, repaired_at, repaired_by";

    /// <summary>Table <c>ledger_consumers.gaps</c>, registered with the ledger's Marten store and created from here by <see cref="ConsumerTables"/>.</summary>
    public static Table BuildTable()
    {
        var table = new Table(new PostgresqlObjectName(Schema, "gaps", SchemaUtils.IdentifierUsage.General)) { PrimaryKeyName = "gaps_pkey" };
        table.AddColumn<long>("id").AsPrimaryKey().BigAutoIncrement();
        table.AddColumn("consumer_group", "text").NotNull();
        table.AddColumn("topic", "text").NotNull();
        table.AddColumn<int>("partition").NotNull();
        table.AddColumn<long>("first_offset").NotNull();
        table.AddColumn<long>("last_offset").NotNull();
        table.AddColumn<long>("after_sequence");
        table.AddColumn<long>("before_sequence");
        table.AddColumn<DateTimeOffset>("detected_at").NotNull();
        table.AddColumn<DateTimeOffset>("repaired_at");
        table.AddColumn("repaired_by", "text");
        // A gap found again (after a restart before the offset moved on) hits this and is recorded once.
        table.Indexes.Add(new IndexDefinition(GapIdentityIndex)
        {
            IsUnique = true,
            Columns = ["consumer_group", "topic", "partition", "first_offset", "before_sequence"],
        });
        return table;
    }

    /// <summary>Records a gap; the same gap found again (after a restart before the offset moved on) is recorded once.</summary>
    public async Task<bool> RecordAsync(string consumerGroup, string topic, int partition, long firstOffset, long lastOffset, long? afterSequence,
        long? beforeSequence, DateTimeOffset detectedAt, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lastOffset, firstOffset);
        await using var command = dataSource.CreateCommand(
            $"insert into {Schema}.gaps (consumer_group, topic, partition, first_offset, last_offset, after_sequence, before_sequence, detected_at) " +
            "values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict do nothing");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = consumerGroup });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = topic });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = firstOffset });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = lastOffset });
        command.Parameters.Add(Nullable(afterSequence));
        command.Parameters.Add(Nullable(beforeSequence));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = detectedAt.ToUniversalTime() });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Open gaps, oldest first, of one group or of all (<paramref name="consumerGroup"/> null); at most <see cref="ListMax"/>.</summary>
    public async Task<IReadOnlyList<ConsumerGap>> OpenAsync(string? consumerGroup = null, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            $"select {Columns} from {Schema}.gaps where repaired_at is null and ($1::text is null or consumer_group = $1) order by id limit {ListMax}");
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)consumerGroup ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        return await ReadAsync(command, cancellationToken);
    }

    /// <summary>
    /// Marks repaired every open gap whose sequence range lies within <paramref name="fromSequence"/>..<paramref name="toSequence"/>,
    /// once those events are back on the topic; returns them. A gap whose range runs to the last event is covered only when
    /// <paramref name="toLastEvent"/> says that <paramref name="toSequence"/> was the last event when the republish read.
    /// </summary>
    public async Task<IReadOnlyList<ConsumerGap>> MarkRepairedAsync(long fromSequence, long toSequence, bool toLastEvent, DateTimeOffset repairedAt,
        CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            $"update {Schema}.gaps set repaired_at = $3, repaired_by = 'republish ' || $1 || '..' || $2 " +
            "where repaired_at is null and coalesce(after_sequence, 0) + 1 >= $1 " +
            $"and (before_sequence - 1 <= $2 or (before_sequence is null and $4)) returning {Columns}");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = fromSequence });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = toSequence });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = repairedAt.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = toLastEvent });
        return await ReadAsync(command, cancellationToken);
    }

    private static NpgsqlParameter Nullable(long? value) =>
        new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint };

    /// <summary>
    /// Creates the table when missing; safe to call from several processes at once. Hosts do it at start (ADR-015),
    /// never on the way of a message or a request; the store's other methods expect the table.
    /// </summary>
    public Task CreateTablesAsync(CancellationToken cancellationToken = default) =>
        ConsumerTables.EnsureAsync(dataSource, [BuildTable()], cancellationToken);

    private static async Task<IReadOnlyList<ConsumerGap>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var gaps = new List<ConsumerGap>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            gaps.Add(new ConsumerGap(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), reader.GetInt64(4),
                reader.GetInt64(5), reader.IsDBNull(6) ? null : reader.GetInt64(6), reader.IsDBNull(7) ? null : reader.GetInt64(7), reader.GetFieldValue<DateTimeOffset>(8),
                reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9), reader.IsDBNull(10) ? null : reader.GetString(10)));
        }

        return gaps;
    }
}
