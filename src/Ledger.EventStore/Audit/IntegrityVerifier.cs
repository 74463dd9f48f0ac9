using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ledger.Domain.Accounts;
using Ledger.EventStore.MartenStorage;
using Npgsql;

namespace Ledger.EventStore.Audit;

/// <summary>How much of each chain a ledger-wide check recomputes.</summary>
public enum IntegrityMode
{
    /// <summary>Every link of every stream, from its first event.</summary>
    Full,

    /// <summary>The links after each stream's sealed checkpoint; a stream without a trusted one from its first event.</summary>
    Incremental,
}

/// <summary>
/// One stream's verdict. <see cref="Events"/> is the stream's length as walked; <see cref="EventsVerified"/> the links
/// recomputed (all of them, or those after <see cref="CheckpointVersion"/> when the check started from a checkpoint).
/// </summary>
public sealed record StreamIntegrity(
    Guid AccountId,
    bool Valid,
    long Events,
    string HeadHash,
    long? FirstInvalidVersion,
    string? Problem,
    long EventsVerified,
    long? CheckpointVersion);

/// <summary>
/// A ledger-wide verdict. <see cref="StreamsFromCheckpoint"/> streams started from a trusted checkpoint;
/// <see cref="CheckpointsRejected"/> checkpoint rows were ignored because their seal did not verify.
/// </summary>
public sealed record LedgerIntegrity(
    bool Valid,
    long Streams,
    long Events,
    long BrokenStreams,
    IReadOnlyList<StreamIntegrity> Broken,
    IntegrityMode Mode,
    long EventsVerified,
    long StreamsFromCheckpoint,
    long CheckpointsRejected,
    bool Checkpointing);

/// <summary>
/// Recomputes hash chains from the stored events (<c>mt_events</c>) and compares each link with the hash, amount, balance,
/// totals to date and actor recorded when the event was appended. Walks rows in (stream, version) order through one
/// streaming reader, so memory stays bounded whatever the size of the ledger.
/// </summary>
/// <remarks>
/// With a <see cref="CheckpointSeal"/>, a ledger-wide check records where each stream was found valid
/// (<see cref="IntegrityCheckpointsTable"/>), and an incremental check starts from there: it confirms that the entry at the
/// checkpoint still carries the verified hash, balance and totals, and recomputes only the links after it. What each mode
/// proves is in docs/audit.md.
/// </remarks>
public sealed class IntegrityVerifier(NpgsqlDataSource dataSource, CheckpointSeal? seal = null, TimeProvider? time = null)
{
    public const int BrokenListMax = 100;

    /// <summary>
    /// Reads stored events as the store wrote them: camelCase, enums as their names (<see cref="LedgerStore.Configure"/>;
    /// a hold's purpose is one).
    /// </summary>
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private static readonly Dictionary<string, Type> EventTypes =
        LedgerStore.EventTypeNames.ToDictionary(pair => pair.Value, pair => pair.Key, StringComparer.Ordinal);

    /// <summary>The columns the full walk reads after the stream and the version: the event's (<see cref="ReadEvent"/>), then the entry's.</summary>
    private const string Columns =
        "e.seq_id, e.id, e.type, e.data::text, e.user_name, e.actor_role, x.hash, x.balance_after_minor, x.actor_subject, " +
        "x.actor_role, x.amount_minor, x.deposited_to_date_minor, x.withdrawn_to_date_minor";

    /// <summary>
    /// The incremental walk. The streams are every stream Marten records (every event's stream is one: its foreign key),
    /// every stream with an entry (a loose scan of the entries' primary key, one index descent per stream) and every
    /// trusted checkpoint's (<c>$1</c>); each is read from its checkpoint's version (<c>$2</c>) on, or from version 1: its
    /// events (source 0) and its entries (source 1), one index range each, in (stream, version, source) order, paired up by
    /// <see cref="IncrementalRowsAsync"/>. A stream with no row from there on still gives one row, all null but its id, so
    /// that a checkpoint past the stream's end is noticed.
    /// </summary>
    private static readonly string IncrementalSql =
        $"""
        with recursive entry_streams(id) as (
            (select account_id from {AccountEntriesTable.QualifiedName} order by account_id limit 1)
            union all
            select (select x.account_id from {AccountEntriesTable.QualifiedName} x where x.account_id > s.id order by x.account_id limit 1)
            from entry_streams s where s.id is not null),
        starts as (
            select s.id, coalesce(c.version, 1) as from_version
            from ({MartenTables.SelectStreamIds} union select id from entry_streams union select unnest($1::uuid[])) s
            left join unnest($1::uuid[], $2::bigint[]) as c(id, version) using (id)
            where s.id is not null)
        select st.id, r.version, r.source, r.seq_id, r.event_id, r.type, r.data, r.user_name, r.actor_role, r.hash, r.balance_after_minor,
               r.actor_subject, r.entry_actor_role, r.amount_minor, r.deposited_to_date_minor, r.withdrawn_to_date_minor
        from starts st left join lateral (
            select e.version, 0 as source, e.seq_id, e.id as event_id, e.type, e.data::text as data, e.user_name, e.actor_role,
                   null as hash, null::bigint as balance_after_minor, null as actor_subject, null as entry_actor_role,
                   null::bigint as amount_minor, null::numeric as deposited_to_date_minor, null::numeric as withdrawn_to_date_minor
            from {MartenTables.EventsForIntegrity(oneStream: false)} e
            where e.stream_id = st.id and e.version >= st.from_version
            union all
            select x.version, 1, null, null, null, null, null, null, x.hash, x.balance_after_minor, x.actor_subject, x.actor_role,
                   x.amount_minor, x.deposited_to_date_minor, x.withdrawn_to_date_minor
            from {AccountEntriesTable.QualifiedName} x
            where x.account_id = st.id and x.version >= st.from_version) r on true
        order by st.id, r.version, r.source
        """;

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Whether checks record and trust checkpoints: only with a key to seal them.</summary>
    public bool Checkpointing => seal is not null;

    /// <summary>One account's chain, always in full. Records no checkpoint.</summary>
    public async Task<StreamIntegrity?> VerifyAccountAsync(Guid accountId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = FullCommand(accountId);
        command.Connection = connection;
        await foreach (var (stream, _) in WalkWithHeadsAsync(command, [], incremental: false, cancellationToken))
        {
            return stream;
        }

        return null;
    }

    public Task<LedgerIntegrity> VerifyLedgerAsync(CancellationToken cancellationToken) => VerifyLedgerAsync(IntegrityMode.Full, cancellationToken);

    /// <summary>
    /// Every stream, in full or from its checkpoint. With a seal, records a checkpoint at the head of every stream found
    /// valid and removes that of every stream found broken, so that a later incremental check keeps reporting it.
    /// </summary>
    public async Task<LedgerIntegrity> VerifyLedgerAsync(IntegrityMode mode, CancellationToken cancellationToken)
    {
        var trusted = new Dictionary<Guid, IntegrityCheckpoint>();
        long rejected = 0;
        if (seal is not null && mode == IntegrityMode.Incremental)
        {
            (trusted, rejected) = await IntegrityCheckpointsTable.ReadAsync(dataSource, seal, cancellationToken);
        }

        var verifiedAt = Microseconds(_time.GetUtcNow());
        long streams = 0, events = 0, eventsVerified = 0, fromCheckpoint = 0, brokenCount = 0;
        var broken = new List<StreamIntegrity>();
        var checkpoints = new List<IntegrityCheckpoint>();
        var uncheckpointed = new List<Guid>();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = mode == IntegrityMode.Full ? FullCommand(null) : await IncrementalCommandAsync(connection, trusted.Values, cancellationToken);
        command.Connection = connection;
        command.Transaction = transaction;
        await foreach (var (stream, head) in WalkWithHeadsAsync(command, trusted, mode == IntegrityMode.Incremental, cancellationToken))
        {
            streams++;
            events += stream.Events;
            eventsVerified += stream.EventsVerified;
            fromCheckpoint += stream.CheckpointVersion is null ? 0 : 1;
            if (!stream.Valid)
            {
                brokenCount++;
                uncheckpointed.Add(stream.AccountId);
                if (broken.Count < BrokenListMax)
                {
                    broken.Add(stream);
                }
            }
            else if (head is not null && (stream.CheckpointVersion != head.Version || stream.EventsVerified > 0))
            {
                checkpoints.Add(head with { VerifiedAt = verifiedAt });
            }

            if (checkpoints.Count + uncheckpointed.Count >= IntegrityCheckpointsTable.BatchMax)
            {
                await RecordAsync(checkpoints, uncheckpointed, cancellationToken);
            }
        }

        await RecordAsync(checkpoints, uncheckpointed, cancellationToken);
        return new LedgerIntegrity(brokenCount == 0, streams, events, brokenCount, broken, mode, eventsVerified, fromCheckpoint, rejected,
            seal is not null);
    }

    private async Task RecordAsync(List<IntegrityCheckpoint> checkpoints, List<Guid> uncheckpointed, CancellationToken cancellationToken)
    {
        if (seal is not null)
        {
            await IntegrityCheckpointsTable.WriteAsync(dataSource, seal, checkpoints, uncheckpointed, cancellationToken);
        }

        checkpoints.Clear();
        uncheckpointed.Clear();
    }

    private static NpgsqlCommand FullCommand(Guid? accountId)
    {
        var filterEvents = MartenTables.EventsForIntegrity(oneStream: accountId is not null);
        var filterEntries = accountId is null ? AccountEntriesTable.QualifiedName : $"(select * from {AccountEntriesTable.QualifiedName} where account_id = $1)";
        var command = new NpgsqlCommand(
            $"select coalesce(e.stream_id, x.account_id), coalesce(e.version, x.version), {Columns} from {filterEvents} e " +
            $"full join {filterEntries} x on x.account_id = e.stream_id and x.version = e.version order by 1, 2");
        if (accountId is { } id)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = id });
        }

        return command;
    }

    /// <summary>
    /// The incremental walk, with JIT compilation off for its transaction: the query is thousands of one-row index probes,
    /// which PostgreSQL's cost estimate (it cannot know the size of the checkpoint arrays) makes look big enough to compile,
    /// and compiling took longer than the whole walk.
    /// </summary>
    private static async Task<NpgsqlCommand> IncrementalCommandAsync(NpgsqlConnection connection, IEnumerable<IntegrityCheckpoint> trusted,
        CancellationToken cancellationToken)
    {
        await using (var noJit = new NpgsqlCommand("set local jit = off", connection))
        {
            await noJit.ExecuteNonQueryAsync(cancellationToken);
        }

        var starts = trusted.ToList();
        var command = new NpgsqlCommand(IncrementalSql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = starts.ConvertAll(c => c.AccountId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = starts.ConvertAll(c => c.Version).ToArray() });
        return command;
    }

    /// <summary>Each stream's verdict and, when it is valid, the checkpoint at its head.</summary>
    private static async IAsyncEnumerable<(StreamIntegrity Stream, IntegrityCheckpoint? Head)> WalkWithHeadsAsync(NpgsqlCommand command,
        Dictionary<Guid, IntegrityCheckpoint> trusted, bool incremental, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        command.CommandTimeout = 0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        Chain? chain = null;
        await foreach (var (streamId, row) in incremental ? IncrementalRowsAsync(reader, cancellationToken) : FullRowsAsync(reader, cancellationToken))
        {
            if (chain is not null && chain.AccountId != streamId)
            {
                if (chain.Result() is { } done)
                {
                    yield return done;
                }

                chain = null;
            }

            chain ??= new Chain(streamId, trusted.GetValueOrDefault(streamId));
            if (row is not null)
            {
                chain.Add(row);
            }
        }

        if (chain?.Result() is { } last)
        {
            yield return last;
        }
    }

    /// <summary>The full walk's rows: an event and its entry joined, either missing where the other has no partner.</summary>
    private static async IAsyncEnumerable<(Guid StreamId, LinkRow? Row)> FullRowsAsync(NpgsqlDataReader reader,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return (reader.GetGuid(0), new LinkRow(reader.GetInt64(1), ReadEvent(reader, 2), ReadEntry(reader, 8)));
        }
    }

    /// <summary>The incremental walk's rows: an event row and the entry row of the same version that follows it, paired.</summary>
    private static async IAsyncEnumerable<(Guid StreamId, LinkRow? Row)> IncrementalRowsAsync(NpgsqlDataReader reader,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        (Guid StreamId, LinkRow Row)? pending = null;
        while (await reader.ReadAsync(cancellationToken))
        {
            var streamId = reader.GetGuid(0);
            var version = reader.IsDBNull(1) ? (long?)null : reader.GetInt64(1);
            if (version is not null && reader.GetInt32(2) == 1 && pending is { } open && open.StreamId == streamId &&
                open.Row.Version == version && open.Row.Entry is null)
            {
                yield return (streamId, open.Row with { Entry = ReadEntry(reader, 9) });
                pending = null;
                continue;
            }

            if (pending is { } unpaired)
            {
                yield return unpaired;
                pending = null;
            }

            if (version is not { } v)
            {
                yield return (streamId, null);
            }
            else if (reader.GetInt32(2) == 0)
            {
                pending = (streamId, new LinkRow(v, ReadEvent(reader, 3), null));
            }
            else
            {
                yield return (streamId, new LinkRow(v, null, ReadEntry(reader, 9)));
            }
        }

        if (pending is { } rest)
        {
            yield return rest;
        }
    }

    /// <summary>Sequence, id, type, data, user name and role from <paramref name="first"/> on; null when there is no event.</summary>
    private static StoredEvent? ReadEvent(NpgsqlDataReader reader, int first) => reader.IsDBNull(first)
        ? null
        : new StoredEvent(reader.GetInt64(first), reader.GetGuid(first + 1), reader.GetString(first + 2), reader.GetString(first + 3),
            Text(reader, first + 4), Text(reader, first + 5));

    /// <summary>Hash, balance, actor, amount and totals from <paramref name="first"/> on; null when there is no entry.</summary>
    private static RecordedEntry? ReadEntry(NpgsqlDataReader reader, int first) => reader.IsDBNull(first)
        ? null
        : new RecordedEntry(reader.GetString(first), reader.GetInt64(first + 1), Text(reader, first + 2), Text(reader, first + 3),
            reader.GetInt64(first + 4), reader.IsDBNull(first + 5) ? null : reader.GetDecimal(first + 5),
            reader.IsDBNull(first + 6) ? null : reader.GetDecimal(first + 6));

    private static string? Text(NpgsqlDataReader row, int ordinal) => row.IsDBNull(ordinal) ? null : row.GetString(ordinal);

    /// <summary>An event as stored in <c>mt_events</c>.</summary>
    private sealed record StoredEvent(long Sequence, Guid EventId, string Type, string Data, string? UserName, string? ActorRole);

    /// <summary>What the entry recorded for an event when it was appended.</summary>
    private sealed record RecordedEntry(string Hash, long BalanceAfterMinor, string? ActorSubject, string? ActorRole, long AmountMinor,
        decimal? DepositedToDateMinor, decimal? WithdrawnToDateMinor);

    /// <summary>One version of a stream: its stored event and its entry, either absent.</summary>
    private sealed record LinkRow(long Version, StoredEvent? Event, RecordedEntry? Entry);

    private static DateTimeOffset Microseconds(DateTimeOffset instant) => instant.AddTicks(-(instant.Ticks % TimeSpan.TicksPerMicrosecond));

    /// <summary>The running check of one stream, from its first event or from a trusted checkpoint.</summary>
    private sealed class Chain
    {
        private readonly IntegrityCheckpoint? _checkpoint;
        private string _hash = HashChain.Genesis;
        private long _events;
        private long _eventsVerified;
        private long _balanceMinor;
        private decimal? _depositedMinor = 0;
        private decimal? _withdrawnMinor = 0;
        private bool _anchored;
        private long? _firstInvalidVersion;
        private string? _problem;

        public Chain(Guid accountId, IntegrityCheckpoint? checkpoint)
        {
            AccountId = accountId;
            _checkpoint = checkpoint;
            if (checkpoint is not null)
            {
                _events = checkpoint.Version - 1;
                _hash = checkpoint.Hash;
                _balanceMinor = checkpoint.BalanceMinor;
                _depositedMinor = checkpoint.DepositedToDateMinor;
                _withdrawnMinor = checkpoint.WithdrawnToDateMinor;
            }
        }

        public Guid AccountId { get; }

        public void Add(LinkRow row)
        {
            var version = row.Version;
            if (_checkpoint is not null && !_anchored)
            {
                _anchored = true;
                if (version == _checkpoint.Version)
                {
                    _events = version;
                    CheckAnchor(row);
                    return;
                }

                Fail(_checkpoint.Version, $"version {_checkpoint.Version}, verified at the checkpoint, is missing");
            }

            _events++;
            if (version != _events)
            {
                Fail(_events, $"version {_events} is missing");
            }

            if (row.Event is not { } stored)
            {
                Fail(version, $"version {version} has a recorded hash but no stored event");
                return;
            }

            if (Deserialize(stored.Type, stored.Data) is not { } @event)
            {
                Fail(version, $"the event at version {version} cannot be read as an account event");
                return;
            }

            var actor = Actor.From(stored.UserName, stored.ActorRole);
            _eventsVerified++;
            _hash = HashChain.Next(_hash, new HashChain.Link(AccountId, version, stored.Sequence, stored.EventId, @event, actor));
            var amountMinor = AccountEventTypes.SignedAmountMinor(AccountId, @event);
            _balanceMinor += amountMinor;
            (_depositedMinor, _withdrawnMinor) = AccountEventTypes.ToDate(_depositedMinor, _withdrawnMinor, @event);
            if (row.Entry is not { } entry)
            {
                Fail(version, $"version {version} has no recorded hash");
            }
            else if (entry.Hash != _hash)
            {
                Fail(version, $"the event at version {version} does not match the hash recorded when it was appended");
            }
            else if (entry.AmountMinor != amountMinor)
            {
                Fail(version, $"the amount recorded for version {version} does not match the event");
            }
            else if (entry.BalanceAfterMinor != _balanceMinor)
            {
                Fail(version, $"the balance recorded after version {version} does not match the events");
            }
            else if (!TotalsMatch(entry))
            {
                Fail(version, $"the deposits or withdrawals to date recorded after version {version} do not match the events");
            }
            else if (Actor.From(entry.ActorSubject, entry.ActorRole) != actor)
            {
                Fail(version, $"the actor recorded for version {version} does not match the one stored with the event");
            }
        }

        /// <summary>
        /// The checkpoint's own version is not recomputed (its link needs the one before it): the event must still be there
        /// and its entry must still carry what was verified. A history rewritten back past the checkpoint fails here.
        /// </summary>
        private void CheckAnchor(LinkRow row)
        {
            var version = _checkpoint!.Version;
            if (row.Event is null || row.Entry is not { } entry)
            {
                Fail(version, $"version {version}, verified at the checkpoint, has lost its stored event or its entry");
            }
            else if (entry.Hash != _checkpoint.Hash || entry.BalanceAfterMinor != _checkpoint.BalanceMinor || !TotalsMatch(entry))
            {
                Fail(version, $"the entry at version {version} no longer matches the hash and balances verified at the checkpoint");
            }
        }

        /// <summary>Totals are compared where both sides have them (entries written before they existed have none).</summary>
        private bool TotalsMatch(RecordedEntry entry) =>
            (entry.DepositedToDateMinor is null || _depositedMinor is null || entry.DepositedToDateMinor == _depositedMinor) &&
            (entry.WithdrawnToDateMinor is null || _withdrawnMinor is null || entry.WithdrawnToDateMinor == _withdrawnMinor);

        /// <summary>The verdict, with the checkpoint at the head when valid; null for a stream with nothing to check.</summary>
        public (StreamIntegrity, IntegrityCheckpoint?)? Result()
        {
            if (_checkpoint is null && _events == 0)
            {
                return null;
            }

            if (_checkpoint is not null && !_anchored)
            {
                Fail(_checkpoint.Version, $"version {_checkpoint.Version}, verified at the checkpoint, is missing");
            }

            var stream = new StreamIntegrity(AccountId, _firstInvalidVersion is null, _events, _hash, _firstInvalidVersion, _problem,
                _eventsVerified, _checkpoint?.Version);
            var head = stream.Valid ? new IntegrityCheckpoint(AccountId, _events, _hash, _balanceMinor, _depositedMinor, _withdrawnMinor, default) : null;
            return (stream, head);
        }

        private void Fail(long version, string problem)
        {
            if (_firstInvalidVersion is null)
            {
                _firstInvalidVersion = version;
                _problem = problem;
            }
        }

        private static IAccountEvent? Deserialize(string typeName, string data)
        {
            try
            {
                return EventTypes.TryGetValue(typeName, out var type) ? JsonSerializer.Deserialize(data, type, Json) as IAccountEvent : null;
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }
}
