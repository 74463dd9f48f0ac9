using System.Diagnostics;
using System.Threading.Channels;
using Ledger.Domain;
using Ledger.Domain.Accounts;
using Ledger.EventStore.Audit;
using Ledger.EventStore.MartenStorage;
using Ledger.EventStore.Projections;
using Ledger.EventStore.Transfers;
using Marten;
using Npgsql;
using NpgsqlTypes;

namespace Ledger.EventStore.Seeding;

/// <summary>
/// Writes a <see cref="HistoryGenerator"/> history by bulk append: in ONE transaction, binary COPY into the stream and event
/// tables with the same column values Marten writes for an append through the API, and into the inline models (account
/// documents, account entries with their hash chains) and the documents commands keep beside the events (transfer
/// receipts, and holds as <see cref="AccountDecider.EvolveHold"/> folds their events), so the ledger is consistent the
/// moment the seed commits. The async report projections are then rebuilt (<see cref="CatchUpReportsAsync"/>).
/// The store's schema must exist (the caller applies Marten's configuration first).
/// </summary>
/// <remarks>
/// Appends wait while the seed writes (it holds the event table in EXCLUSIVE mode, <see cref="MartenTables.HoldEventInserts"/>, which readers do not notice): the seed's
/// sequence numbers stay uncommitted for the whole transaction, and had appends committed above them meanwhile, readers
/// that follow the sequence (the relay, the report runner) could take that range for a rolled-back hole and pass over it.
/// Each event's <c>timestamp</c> is when the seed recorded it, as for an append; its business time is in its data.
/// </remarks>
public sealed class HistorySeeder(NpgsqlDataSource dataSource, ISerializer serializer, TimeProvider time, ProjectionCatalog catalog)
{
    /// <summary>Events per COPY batch: big enough to amortise a COPY, small enough to keep a few batches in memory.</summary>
    private const int ChunkEvents = 20_000;

    /// <summary>Batches prepared ahead of the COPY: row building (JSON, hashes) runs on another core meanwhile.</summary>
    private const int ChunksAheadMax = 2;

    /// <summary>Writes the history; throws <see cref="SeedConflictException"/> when its accounts exist already.</summary>
    public async Task<SeedSummary> WriteAsync(HistoryOptions options, IProgress<SeedProgress>? progress, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(options);
        var clock = Stopwatch.StartNew();
        var generator = new HistoryGenerator(options);
        progress?.Report(new SeedProgress(SeedPhase.Planning, 0, 0, clock.Elapsed));
        var plan = Plan.Of(generator, cancellation);

        await using var connection = await dataSource.OpenConnectionAsync(cancellation);
        await ThrowIfSeededAsync(connection, plan, options.Seed, cancellation);
        await using var transaction = await connection.BeginTransactionAsync(cancellation);
        await using (var exclusive = new NpgsqlCommand(MartenTables.HoldEventInserts, connection))
        {
            await exclusive.ExecuteNonQueryAsync(cancellation);
        }

        var recordedAt = time.GetUtcNow();
        var sequences = await ReserveSequencesAsync(connection, plan.Events, cancellation);
        await MartenBulkWriter.CopyAccountStreamsAsync(connection, plan.Accounts, cancellation);

        var writing = new Writing(serializer, generator, sequences, $"seed-{options.Seed}", recordedAt);
        await writing.CopyAsync(connection, done => progress?.Report(new SeedProgress(SeedPhase.Writing, done, plan.Events, clock.Elapsed)),
            cancellation);

        // The documents AccountProjection keeps inline, from the same fold: what loading an account after the seed returns.
        await MartenBulkWriter.CopyAccountDocumentsAsync(connection, $"{LedgerStore.Schema}.{MartenTables.AccountDocuments}", serializer,
            plan.Accounts, cancellation);
        await transaction.CommitAsync(cancellation);

        var counts = plan.Commands;
        return new SeedSummary(options.Seed, plan.Accounts.Count, plan.Events, counts.Of<Transfer>(), counts.Of<Deposit>(), counts.Of<Withdraw>(),
            counts.Of<FreezeAccount>(), counts.Of<UnfreezeAccount>(), counts.Of<CloseAccount>(), counts.Of<PlaceHold>(),
            counts.Of<CaptureHold>() + counts.Of<ApproveHold>(), counts.Of<ReleaseHold>(), plan.Rejected, sequences.Length > 0 ? sequences[0] : 0, sequences.Length > 0 ? sequences[^1] : 0, clock.Elapsed);
    }

    /// <summary>
    /// Rebuilds the async projections (the reports) one after the other, in catalog order, so that they stand at the last
    /// event again. Their tables are small; the cost is reading every event once per projection.
    /// </summary>
    public async Task<IReadOnlyList<RebuildOutcome>> CatchUpReportsAsync(IProgress<RebuildProgress>? progress, CancellationToken cancellation)
    {
        var rebuilder = new ProjectionRebuilder(dataSource, serializer, time);
        var outcomes = new List<RebuildOutcome>();
        foreach (var projection in catalog.Async)
        {
            outcomes.Add(await rebuilder.RunAsync(Guid.CreateVersion7(), projection, RebuildKind.Rebuild, Actor.Seed.Subject, progress,
                cancellation));
        }

        return outcomes;
    }

    /// <summary>Running the same seed twice would collide on every primary key; say so before writing anything.</summary>
    private static async Task ThrowIfSeededAsync(NpgsqlConnection connection, Plan plan, int seed, CancellationToken cancellation)
    {
        await using var command = new NpgsqlCommand(MartenTables.SelectFirstExistingStream, connection);
        command.Parameters.AddWithValue("ids", plan.Accounts.Select(account => account.AccountId).ToArray());
        if (await command.ExecuteScalarAsync(cancellation) is Guid existing)
        {
            throw new SeedConflictException(
                $"Seed {seed} is already in this database (its account {existing} exists), so it was not written again. " +
                "Choose another seed, or seed an empty database.");
        }
    }

    /// <summary>
    /// Takes the events' global sequence numbers from Marten's own sequence, as its appends do, so appends after the seed
    /// continue above it. Concurrent appends may take numbers in between; sorting keeps the history in sequence order.
    /// </summary>
    private static async Task<long[]> ReserveSequencesAsync(NpgsqlConnection connection, long count, CancellationToken cancellation)
    {
        await using var command = new NpgsqlCommand(MartenTables.ReserveSequences, connection)
        {
            CommandTimeout = 0,
        };
        command.Parameters.AddWithValue("count", count);
        var sequences = new long[count];
        var i = 0;
        await using (var reader = await command.ExecuteReaderAsync(cancellation))
        {
            while (await reader.ReadAsync(cancellation))
            {
                sequences[i++] = reader.GetInt64(0);
            }
        }

        Invariant.Assert(i == count, $"Reserved {i} sequence numbers instead of {count}.");
        Array.Sort(sequences);
        return sequences;
    }

    /// <summary>Accepted commands, by the command's type.</summary>
    private sealed class CommandCounts
    {
        private readonly Dictionary<Type, long> _counts = [];

        public void Add(object command) => _counts[command.GetType()] = _counts.GetValueOrDefault(command.GetType()) + 1;

        public long Of<TCommand>() => _counts.GetValueOrDefault(typeof(TCommand));
    }

    /// <summary>The first pass over the history: the final state of every account and the counts, without keeping events.</summary>
    private sealed record Plan(IReadOnlyList<Account> Accounts, long Events, CommandCounts Commands, long Rejected)
    {
        public static Plan Of(HistoryGenerator generator, CancellationToken cancellation)
        {
            var accounts = new Dictionary<Guid, Account>();
            var order = new List<Guid>();
            var commands = new CommandCounts();
            long steps = 0, events = 0, rejected = 0;
            foreach (var step in generator.Steps())
            {
                if (++steps % ChunkEvents == 0)
                {
                    cancellation.ThrowIfCancellationRequested();
                }

                if (step.Rejection is not null)
                {
                    rejected++;
                    continue;
                }

                foreach (var e in step.Events)
                {
                    var state = AccountDecider.Evolve(accounts.GetValueOrDefault(e.StreamId), e.Data);
                    if (state.Version != e.Version)
                    {
                        // Not Invariant.Assert: its message would be formatted for each of a million events.
                        throw new InvariantViolationException($"Account {e.StreamId} would go from version {state.Version - 1} to {e.Version}.");
                    }

                    if (state.Version == 1)
                    {
                        order.Add(e.StreamId);
                    }

                    accounts[e.StreamId] = state;
                    events++;
                }

                commands.Add(step.Command);
            }

            return new Plan(order.ConvertAll(id => accounts[id]), events, commands, rejected);
        }
    }

    /// <summary>One event row: the event, its global sequence number and its JSON as the store serializes it.</summary>
    private readonly record struct EventRow(long Sequence, GeneratedEvent Event, string Json);

    /// <summary>A batch of rows for each table an append writes, in sequence order.</summary>
    private sealed class Chunk
    {
        public List<EventRow> Events { get; } = new(ChunkEvents + 1);

        public List<AccountEntryRow> Entries { get; } = new(ChunkEvents + 1);

        public List<(Guid TransferId, string Json)> Receipts { get; } = [];

        public List<(Guid HoldId, Guid AccountId, string Json)> Holds { get; } = [];
    }

    /// <summary>
    /// The second pass: regenerates the same history (the generator is deterministic) and turns each event into its rows on a
    /// background task, while this connection copies the previous batch. The COPYs write typed values rather than boxed
    /// ones: with two cores, every bit of the client's CPU time is taken from the database server's.
    /// </summary>
    private sealed class Writing(ISerializer serializer, HistoryGenerator generator, long[] sequences, string correlationId,
        DateTimeOffset recordedAt)
    {
        private readonly Dictionary<Guid, EntryLink> _heads = [];

        /// <summary>The holds placed and not yet captured or released; each is written once, when it ends or at the end of the history.</summary>
        private readonly Dictionary<Guid, Hold> _openHolds = [];
        private long _next;

        public async Task CopyAsync(NpgsqlConnection connection, Action<long> copied, CancellationToken cancellation)
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            var chunks = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(ChunksAheadMax) { SingleReader = true, SingleWriter = true });
            var producer = Task.Run(() => ProduceAsync(chunks.Writer, stop.Token), CancellationToken.None);
            try
            {
                long done = 0;
                await foreach (var chunk in chunks.Reader.ReadAllAsync(cancellation))
                {
                    await CopyEventsAsync(connection, chunk.Events, cancellation);
                    await CopyEntriesAsync(connection, chunk.Entries, cancellation);
                    await MartenBulkWriter.CopyTransferReceiptsAsync(connection, chunk.Receipts, cancellation);
                    await MartenBulkWriter.CopyHoldsAsync(connection, chunk.Holds, cancellation);
                    done += chunk.Events.Count;
                    copied(done);
                }
            }
            finally
            {
                // A failed COPY must not leave the producer blocked on a full channel.
                await stop.CancelAsync();
                try
                {
                    await producer;
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                }
            }

            Invariant.Assert(_next == sequences.Length, $"Wrote {_next} events instead of the {sequences.Length} planned.");
        }

        private async Task CopyEventsAsync(NpgsqlConnection connection, List<EventRow> rows, CancellationToken cancellation)
        {
            await using var copy = await MartenBulkWriter.BeginEventsAsync(connection, cancellation);
            foreach (var (sequence, e, json) in rows)
            {
                await MartenBulkWriter.WriteEventAsync(copy, sequence, e.EventId, e.StreamId, e.Version, e.Data, json, recordedAt,
                    correlationId, Actor.Seed, cancellation);
            }

            await copy.CompleteAsync(cancellation);
        }

        /// <summary>The columns of <see cref="AccountEntryRow.Columns"/>, in that order.</summary>
        private static async Task CopyEntriesAsync(NpgsqlConnection connection, List<AccountEntryRow> rows, CancellationToken cancellation)
        {
            await using var copy = await connection.BeginBinaryImportAsync(
                $"copy {AccountEntriesTable.QualifiedName} ({AccountEntryRow.Columns}) from stdin (format binary)", cancellation);
            foreach (var row in rows)
            {
                await copy.StartRowAsync(cancellation);
                await copy.WriteAsync(row.AccountId, NpgsqlDbType.Uuid, cancellation);
                await copy.WriteAsync(row.Version, NpgsqlDbType.Bigint, cancellation);
                await copy.WriteAsync(row.Sequence, NpgsqlDbType.Bigint, cancellation);
                await copy.WriteAsync(row.EventId, NpgsqlDbType.Uuid, cancellation);
                await copy.WriteAsync(row.Type, NpgsqlDbType.Text, cancellation);
                await copy.WriteAsync(row.Currency, NpgsqlDbType.Text, cancellation);
                await copy.WriteAsync(row.AmountMinor, NpgsqlDbType.Bigint, cancellation);
                await copy.WriteAsync(row.BalanceAfterMinor, NpgsqlDbType.Bigint, cancellation);
                await copy.WriteAsync(row.OccurredAt, NpgsqlDbType.TimestampTz, cancellation);
                await WriteNullableAsync(copy, row.TransferId, NpgsqlDbType.Uuid, cancellation);
                await WriteNullableAsync(copy, row.CounterpartyAccountId, NpgsqlDbType.Uuid, cancellation);
                await WriteNullableAsync(copy, row.Reference, NpgsqlDbType.Text, cancellation);
                await WriteNullableAsync(copy, row.CorrelationId, NpgsqlDbType.Text, cancellation);
                await WriteNullableAsync(copy, row.Actor?.Subject, NpgsqlDbType.Text, cancellation);
                await WriteNullableAsync(copy, row.Actor?.Role, NpgsqlDbType.Text, cancellation);
                await copy.WriteAsync(row.DataJson, NpgsqlDbType.Jsonb, cancellation);
                await copy.WriteAsync(row.StateJson, NpgsqlDbType.Jsonb, cancellation);
                await copy.WriteAsync(row.Hash, NpgsqlDbType.Text, cancellation);
                await WriteNullableAsync(copy, row.DepositedToDateMinor, NpgsqlDbType.Numeric, cancellation);
                await WriteNullableAsync(copy, row.WithdrawnToDateMinor, NpgsqlDbType.Numeric, cancellation);
            }

            await copy.CompleteAsync(cancellation);
        }

        private static async Task WriteNullableAsync<T>(NpgsqlBinaryImporter copy, T? value, NpgsqlDbType type, CancellationToken cancellation)
            where T : struct
        {
            if (value is { } present)
            {
                await copy.WriteAsync(present, type, cancellation);
            }
            else
            {
                await copy.WriteNullAsync(cancellation);
            }
        }

        private static async Task WriteNullableAsync(NpgsqlBinaryImporter copy, string? value, NpgsqlDbType type, CancellationToken cancellation)
        {
            if (value is null)
            {
                await copy.WriteNullAsync(cancellation);
            }
            else
            {
                await copy.WriteAsync(value, type, cancellation);
            }
        }

        private async Task ProduceAsync(ChannelWriter<Chunk> writer, CancellationToken cancellation)
        {
            try
            {
                var chunk = new Chunk();
                foreach (var step in generator.Steps())
                {
                    if (step.Rejection is not null)
                    {
                        continue;
                    }

                    foreach (var e in step.Events)
                    {
                        Add(chunk, e);
                    }

                    if (step.Command is Transfer && step.Events[0].Data is MoneyTransferred transferred)
                    {
                        AddReceipt(chunk, transferred);
                    }

                    // A capture to another account is one event in two streams: its hold changes once.
                    if (step.Events.Count > 0)
                    {
                        FoldHold(chunk, step.Events[0].Data);
                    }

                    if (chunk.Events.Count >= ChunkEvents)
                    {
                        await writer.WriteAsync(chunk, cancellation);
                        chunk = new Chunk();
                    }
                }

                // The holds still open when the history ends, as they stand.
                chunk.Holds.AddRange(_openHolds.Values.Select(HoldRow));
                await writer.WriteAsync(chunk, cancellation);
                writer.Complete();
            }
            catch (Exception failure)
            {
                writer.Complete(failure);
                throw;
            }
        }

        private void Add(Chunk chunk, GeneratedEvent e)
        {
            var sequence = sequences[_next++];
            chunk.Events.Add(new EventRow(sequence, e, serializer.ToJson(e.Data)));

            // The entry the inline projection would have written for this append: the same row code, the same chain.
            var row = AccountEntryRow.Next(_heads.GetValueOrDefault(e.StreamId, EntryLink.Genesis), e.StreamId, e.Version, sequence,
                e.EventId, correlationId, Actor.Seed, e.Data);
            _heads[e.StreamId] = row.Link;
            chunk.Entries.Add(row);
        }

        /// <summary>The hold document as the API's group commit keeps it, folded by the domain; a hold that ended goes into the chunk.</summary>
        private void FoldHold(Chunk chunk, IAccountEvent e)
        {
            switch (e)
            {
                case HoldPlaced placed:
                    _openHolds[placed.HoldId] = AccountDecider.EvolveHold(null, placed);
                    break;
                case HoldCaptured or HoldReleased:
                    var holdId = e is HoldCaptured captured ? captured.HoldId : ((HoldReleased)e).HoldId;
                    _openHolds.Remove(holdId, out var open);
                    chunk.Holds.Add(HoldRow(AccountDecider.EvolveHold(open, e)));
                    break;
            }
        }

        private (Guid HoldId, Guid AccountId, string Json) HoldRow(Hold hold) => (hold.HoldId, hold.AccountId, serializer.ToJson(hold));

        /// <summary>The receipt the transfer endpoint inserts with a transfer, with both balances after it.</summary>
        private void AddReceipt(Chunk chunk, MoneyTransferred transferred)
        {
            var receipt = new TransferReceipt(transferred.TransferId, transferred.FromAccountId, transferred.ToAccountId,
                transferred.AmountMinor, transferred.Currency, transferred.Reference,
                _heads[transferred.FromAccountId].State!.BalanceMinor, _heads[transferred.ToAccountId].State!.BalanceMinor,
                transferred.OccurredAt);
            chunk.Receipts.Add((receipt.TransferId, serializer.ToJson(receipt)));
        }
    }
}
