using Ledger.EventStore;
using Npgsql;
using NpgsqlTypes;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace Ledger.Messaging.DeadLetters;

/// <summary>A dead letter published again to its original topic, and where Kafka put it.</summary>
/// <param name="DeadLetter">The dead letter's partition and offset on <see cref="DeadLetterTopic.Name"/>.</param>
/// <param name="ReplayedPartition">Partition of the original topic the replayed message went to (the original one).</param>
/// <param name="ReplayedOffset">Its offset there.</param>
/// <param name="ReplayedBy">Who ran the replay, as the tool knew it (<c>--operator</c> or the OS user); null when it did not.</param>
public sealed record DeadLetterReplay(
    DeadLetterId DeadLetter,
    string? EventId,
    string? EventType,
    string? ConsumerGroup,
    string OriginalTopic,
    int OriginalPartition,
    long OriginalOffset,
    int ReplayedPartition,
    long ReplayedOffset,
    DateTimeOffset ReplayedAt,
    string? ReplayedBy);

/// <summary>
/// Table <c>ledger.dead_letter_replays</c>: one row per dead letter replayed, so an operator sees what was put back, when
/// and by whom, and a replay of everything skips what was already replayed. A dead letter replayed again on purpose gets
/// a second row. Declared with the Messaging tables (<see cref="MessagingStore"/>), so <c>ledger db migrate</c> creates it.
/// </summary>
public sealed class DeadLetterReplayStore(NpgsqlDataSource dataSource)
{
    public const string Name = "dead_letter_replays";
    public const string QualifiedName = $"{LedgerStore.Schema}.{Name}";

    private const string Columns =
        "dead_letter_partition, dead_letter_offset, ce_id, ce_type, consumer_group, original_topic, original_partition, original_offset, " +
        "replayed_partition, replayed_offset, replayed_at, replayed_by";

    public static Table BuildTable()
    {
        var table = new Table(new PostgresqlObjectName(LedgerStore.Schema, Name, SchemaUtils.IdentifierUsage.General));
        table.AddColumn<long>("id").AsPrimaryKey().BigAutoIncrement();
        table.AddColumn("dead_letter_topic", "text").NotNull();
        table.AddColumn<int>("dead_letter_partition").NotNull();
        table.AddColumn<long>("dead_letter_offset").NotNull();
        // Text, not uuid: a dead letter may be one because its ce_id is not a UUID.
        table.AddColumn("ce_id", "text");
        table.AddColumn("ce_type", "text");
        table.AddColumn("consumer_group", "text");
        table.AddColumn("original_topic", "text").NotNull();
        table.AddColumn<int>("original_partition").NotNull();
        table.AddColumn<long>("original_offset").NotNull();
        table.AddColumn<int>("replayed_partition").NotNull();
        table.AddColumn<long>("replayed_offset").NotNull();
        table.AddColumn<DateTimeOffset>("replayed_at").NotNull();
        table.AddColumn("replayed_by", "text");
        table.Indexes.Add(new IndexDefinition($"{Name}_dead_letter_idx") { Columns = ["dead_letter_topic", "dead_letter_partition", "dead_letter_offset"] });
        return table;
    }

    /// <summary>Records replays that Kafka acknowledged, all in one transaction.</summary>
    public async Task RecordAsync(IReadOnlyList<DeadLetterReplay> replays, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(replays);
        await using var batch = dataSource.CreateBatch();
        foreach (var replay in replays)
        {
            var command = new NpgsqlBatchCommand(
                $"insert into {QualifiedName} (dead_letter_topic, {Columns}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)");
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = DeadLetterTopic.Name });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = replay.DeadLetter.Partition });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = replay.DeadLetter.Offset });
            command.Parameters.Add(Text(replay.EventId));
            command.Parameters.Add(Text(replay.EventType));
            command.Parameters.Add(Text(replay.ConsumerGroup));
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = replay.OriginalTopic });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = replay.OriginalPartition });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = replay.OriginalOffset });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = replay.ReplayedPartition });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = replay.ReplayedOffset });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = replay.ReplayedAt.ToUniversalTime() });
            command.Parameters.Add(Text(replay.ReplayedBy));
            batch.BatchCommands.Add(command);
        }

        if (batch.BatchCommands.Count > 0)
        {
            // Npgsql runs a batch in one implicit transaction: all rows or none.
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>Every replay recorded for the dead-letter topic, by dead letter then time; one row per replay.</summary>
    public async Task<IReadOnlyList<DeadLetterReplay>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            $"select {Columns} from {QualifiedName} where dead_letter_topic = $1 order by dead_letter_partition, dead_letter_offset, replayed_at, id");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = DeadLetterTopic.Name });
        var replays = new List<DeadLetterReplay>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            replays.Add(new DeadLetterReplay(new DeadLetterId(reader.GetInt32(0), reader.GetInt64(1)), NullableText(reader, 2), NullableText(reader, 3),
                NullableText(reader, 4), reader.GetString(5), reader.GetInt32(6), reader.GetInt64(7), reader.GetInt32(8), reader.GetInt64(9),
                reader.GetFieldValue<DateTimeOffset>(10), NullableText(reader, 11)));
        }

        return replays;
    }

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    private static string? NullableText(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
