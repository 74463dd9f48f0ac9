using System.Diagnostics;
using System.Threading.Channels;
using Ledger.Domain.Accounts;
using Ledger.EventStore;
using Ledger.EventStore.MartenStorage;
using Ledger.EventStore.Transfers;
using Marten;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Ledger.Api.Infrastructure;

public sealed class GroupCommitOptions
{
    public const string Section = "GroupCommit";

    /// <summary>The most commands one database transaction carries.</summary>
    public int BatchSizeMax { get; set; } = 64;

    /// <summary>How many transactions one process writes at a time (each on its own connection).</summary>
    public int Writers { get; set; } = 2;

    /// <summary>The most commands waiting for a writer; beyond it a command is answered 503 at once.</summary>
    public int QueueLengthMax { get; set; } = 4096;

    /// <summary>Every problem with these settings, each naming its setting and value; empty when they are valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (BatchSizeMax is < 1 or > 1000)
        {
            problems.Add($"{Section}:{nameof(BatchSizeMax)} must be 1 to 1000, not {BatchSizeMax}.");
        }

        if (Writers is < 1 or > 16)
        {
            problems.Add($"{Section}:{nameof(Writers)} must be 1 to 16, not {Writers}.");
        }

        if (QueueLengthMax < BatchSizeMax)
        {
            problems.Add($"{Section}:{nameof(QueueLengthMax)} must be at least {Section}:{nameof(BatchSizeMax)} ({BatchSizeMax}), not {QueueLengthMax}.");
        }

        return problems;
    }
}

/// <summary>Fails start-up (with <c>ValidateOnStart</c>) when the settings are invalid.</summary>
public sealed class GroupCommitOptionsValidator : IValidateOptions<GroupCommitOptions>
{
    public ValidateOptionsResult Validate(string? name, GroupCommitOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Problems();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

/// <summary>What a command decided on the accounts as its batch has them.</summary>
public abstract record AccountDecision(object Response);

/// <summary>
/// Events to append, in order, each to the account it names; the transfer's receipt, if any; and the command's answer.
/// </summary>
public sealed record AppendDecision(IReadOnlyList<(Guid AccountId, IAccountEvent Event)> Events, TransferReceipt? Receipt, object Response)
    : AccountDecision(Response);

/// <summary>Nothing to write: the command's own id was already used with the same content, and this is its first answer.</summary>
public sealed record RepeatDecision(object Response) : AccountDecision(Response);

/// <summary>
/// The state a command of a batch decides on: every account the batch locked and every receipt and hold it looked up, as
/// committed before the batch, then changed by the decisions of the commands before it in the batch. A hold is changed
/// only by commands that lock its account, so under the batch's locks its state here is its committed state.
/// </summary>
public sealed class AccountBook
{
    private readonly Dictionary<Guid, Account> _accounts;
    private readonly Dictionary<Guid, TransferReceipt> _receipts;
    private readonly Dictionary<Guid, Hold> _holds;
    private readonly HashSet<Guid> _placedHolds = [];
    private readonly HashSet<Guid> _changedHolds = [];

    internal AccountBook(Dictionary<Guid, Account> accounts, Dictionary<Guid, TransferReceipt> receipts, Dictionary<Guid, Hold> holds)
    {
        _accounts = accounts;
        _receipts = receipts;
        _holds = holds;
    }

    /// <summary>The account, if it exists; only accounts the command named are here.</summary>
    public Account? Find(Guid accountId) => _accounts.GetValueOrDefault(accountId);

    /// <summary>The receipt of a transfer id the command named, if that transfer was booked.</summary>
    public TransferReceipt? FindReceipt(Guid transferId) => _receipts.GetValueOrDefault(transferId);

    /// <summary>The hold the command named, if it was placed (on whichever account).</summary>
    public Hold? FindHold(Guid holdId) => _holds.GetValueOrDefault(holdId);

    /// <summary>Holds placed by the batch's decisions (inserted: an id taken meanwhile elsewhere fails the batch).</summary>
    internal IEnumerable<Hold> PlacedHolds => _placedHolds.Select(id => _holds[id]);

    /// <summary>Holds that existed before the batch and were captured or released by it.</summary>
    internal IEnumerable<Hold> ChangedHolds => _changedHolds.Except(_placedHolds).Select(id => _holds[id]);

    internal void Apply(AppendDecision decision)
    {
        foreach (var (accountId, e) in decision.Events)
        {
            _accounts[accountId] = AccountDecider.Evolve(_accounts.GetValueOrDefault(accountId), e);
        }

        // A capture to another account is one event on two streams: the hold changes once.
        foreach (var e in decision.Events.Select(pair => pair.Event).Distinct(ReferenceEqualityComparer.Instance).Cast<IAccountEvent>())
        {
            var holdId = e switch
            {
                HoldPlaced placed => placed.HoldId,
                HoldCaptured captured => captured.HoldId,
                HoldReleased released => released.HoldId,
                _ => (Guid?)null,
            };
            if (holdId is { } id)
            {
                _holds[id] = AccountDecider.EvolveHold(_holds.GetValueOrDefault(id), e);
                (e is HoldPlaced ? _placedHolds : _changedHolds).Add(id);
            }
        }

        if (decision.Receipt is { } receipt)
        {
            _receipts[receipt.TransferId] = receipt;
        }
    }
}

/// <summary>The answer a command stores under its request's <c>Idempotency-Key</c> when its events commit.</summary>
public sealed record IdempotentAnswer(string Key, Guid Token, Func<object, StoredResponse> Describe);

/// <summary>
/// One command on existing accounts waiting for, or in, a group commit: the accounts it locks, the receipt it looks up,
/// its decision, and who asked and in which trace (stamped on its events).
/// </summary>
public sealed class AccountCommand(
    IReadOnlyList<Guid> accountIds,
    Guid? receiptId,
    Func<AccountBook, DateTimeOffset, AccountDecision> decide,
    Actor actor,
    string? correlationId,
    IdempotentAnswer? answer,
    TraceContext? trace = null,
    Guid? holdId = null)
{
    private const int Queued = 0;
    private const int Taken = 1;
    private const int Abandoned = 2;
    private int _state = Queued;

    public IReadOnlyList<Guid> AccountIds { get; } = accountIds;
    public Guid? ReceiptId { get; } = receiptId;

    /// <summary>The hold the command places, captures or releases, looked up for its decision.</summary>
    public Guid? HoldId { get; } = holdId;

    public Actor Actor { get; } = actor;
    public string? CorrelationId { get; } = correlationId;
    public IdempotentAnswer? Answer { get; } = answer;

    /// <summary>The request's span, stored with the command's events so that their publication joins its trace (ADR-022).</summary>
    public TraceContext? Trace { get; } = trace;

    internal TaskCompletionSource<AccountDecision> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal AccountDecision Decide(AccountBook book, DateTimeOffset now) => decide(book, now);

    /// <summary>A writer takes the command into a batch; from then on it runs to its end, whoever waits for it.</summary>
    internal bool TryTake() => Interlocked.CompareExchange(ref _state, Taken, Queued) == Queued;

    /// <summary>The caller gives up (its deadline, or the client went away) before a writer took the command: it never runs.</summary>
    internal void TryAbandon(CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _state, Abandoned, Queued) == Queued)
        {
            Outcome.TrySetCanceled(cancellationToken);
        }
    }
}

/// <summary>
/// Group commit (ADR-018): commands on existing accounts (deposits, withdrawals, transfers) queue here, and a few writers
/// each take every command waiting, up to <see cref="GroupCommitOptions.BatchSizeMax"/>, into one database transaction:
/// lock all their accounts' streams in one statement (ascending id, as every writer of the ledger does, so writers never
/// deadlock), load the accounts and receipts in one query each, decide the commands one after another on that state in
/// memory, complete their idempotency keys in one statement, append every event with Marten (its inline read models and
/// hash chain included) and commit once. Each command gets its own outcome: a rejected command is left out of the batch,
/// not the batch failed with it. A batch that the database refuses as a whole (a transfer id another node booked
/// meanwhile) is run again one command per transaction, so only the command at fault fails; a failure that may have
/// happened after the commit was sent is every command's answer and never run again.
/// </summary>
public sealed class GroupCommit(
    IDocumentStore store,
    IOptions<GroupCommitOptions> options,
    IOptions<CommandOptions> commands,
    TimeProvider clock,
    ILogger<GroupCommit> logger) : BackgroundService
{
    /// <summary>Spans of the group commit's transactions (ADR-022).</summary>
    public const string ActivitySourceName = "Ledger.GroupCommit";

    private static readonly ActivitySource Spans = new(ActivitySourceName);

    private readonly Channel<AccountCommand> _queue = Channel.CreateBounded<AccountCommand>(
        new BoundedChannelOptions(options.Value.QueueLengthMax) { FullMode = BoundedChannelFullMode.Wait });

    private volatile bool _stopping;

    /// <summary>Commands waiting for a writer (not yet in a batch).</summary>
    public int Waiting => _queue.Reader.Count;

    /// <summary>Runs the command in the next batch and returns its decision once the batch has committed.</summary>
    public async Task<AccountDecision> RunAsync(AccountCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (!_queue.Writer.TryWrite(command))
        {
            throw _stopping
                ? Stopping()
                : new ProblemException(Problems.Busy, "The ledger has too many commands waiting to be written; retry shortly.");
        }

        await using var registration = cancellationToken.Register(static (state, token) => ((AccountCommand)state!).TryAbandon(token), command);
        return await command.Outcome.Task;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.WhenAll(Enumerable.Range(0, options.Value.Writers).Select(_ => Task.Run(() => WriteAsync(stoppingToken), CancellationToken.None)));
        }
        finally
        {
            _stopping = true;
            _queue.Writer.TryComplete();
            while (_queue.Reader.TryRead(out var command))
            {
                if (command.TryTake())
                {
                    command.Outcome.TrySetException(Stopping());
                }
            }
        }
    }

    private static ProblemException Stopping() =>
        new(Problems.Busy, "The ledger is stopping; the command was not run. Retry on another node or shortly.");

    private async Task WriteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<AccountCommand>(options.Value.BatchSizeMax);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                while (batch.Count < options.Value.BatchSizeMax && _queue.Reader.TryRead(out var command))
                {
                    if (command.TryTake())
                    {
                        batch.Add(command);
                    }
                }

                if (batch.Count > 0)
                {
                    // A taken command runs to its end even while the host stops: its caller waits for the outcome.
                    await CommitAsync(batch);
                    batch.Clear();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Commits the batch and gives every command its outcome; never throws.</summary>
    private async Task CommitAsync(List<AccountCommand> batch)
    {
        try
        {
            await WriteBatchAsync(batch);
        }
        catch (Exception refused) when (batch.Count > 1 && RolledBackAsAWhole(refused))
        {
            logger.LogDebug(refused, "A batch of {Count} commands was refused as a whole; running them one by one", batch.Count);
            foreach (var command in batch.Where(command => !command.Outcome.Task.IsCompleted))
            {
                await CommitAsync([command]);
            }
        }
        catch (Exception failure)
        {
            foreach (var command in batch)
            {
                command.Outcome.TrySetException(failure);
            }
        }
    }

    /// <summary>
    /// Failures PostgreSQL reports for one statement, after which it rolled the whole transaction back and nothing of the
    /// batch committed: a uniqueness (a transfer id or a stream booked meanwhile elsewhere), a deadlock, a serialization
    /// failure. Lost connections, cancelled statements and everything else may have come after the commit was sent.
    /// </summary>
    private static bool RolledBackAsAWhole(Exception exception) =>
        ExceptionChain.Of(exception).Any(current => current is PostgresException { SqlState: var state } &&
                                                    (state.StartsWith("23", StringComparison.Ordinal) ||
                                                     state is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure)) ||
        ExceptionChain.Of(exception).Any(current => current is JasperFx.DocumentAlreadyExistsException or
            JasperFx.Events.EventStreamUnexpectedMaxEventIdException);

    /// <summary>Writes the batch; commands whose request lost its key are answered and the others written again without them.</summary>
    private async Task WriteBatchAsync(IReadOnlyList<AccountCommand> batch)
    {
        var pending = batch;
        while (pending.Count > 0)
        {
            pending = await WriteOnceAsync(pending);
        }
    }

    /// <summary>
    /// One transaction for the batch. Sets the outcome of every command it decides on; returns the commands still to write
    /// (when a command's request lost its key, the transaction rolls back and the others go again, on the state as it is then).
    /// </summary>
    private async Task<IReadOnlyList<AccountCommand>> WriteOnceAsync(IReadOnlyList<AccountCommand> batch)
    {
        using var span = StartBatchSpan(batch);
        var limit = commands.Value.TimeLimit;
        using var deadline = new CancellationTokenSource(limit);
        var token = deadline.Token;
        var committing = false;
        var decisions = new AccountDecision?[batch.Count];
        var rejections = new Exception?[batch.Count];
        // An identity-map session: Marten's inline Account projection finds the documents this batch loaded, instead of
        // reading them again before it folds the new events onto them.
        await using var session = store.IdentitySession();
        try
        {
            await session.BeginTransactionAsync(token);
            var connection = session.Connection!;
            var accountIds = batch.SelectMany(command => command.AccountIds).Distinct().Order().ToArray();
            await LockStreamsAsync(connection, accountIds, token);
            var accounts = (await session.LoadManyAsync<Account>(token, accountIds)).ToDictionary(account => account.AccountId);
            var receiptIds = batch.Where(command => command.ReceiptId is not null).Select(command => command.ReceiptId!.Value).Distinct().ToArray();
            var receipts = receiptIds.Length == 0
                ? []
                : (await session.LoadManyAsync<TransferReceipt>(token, receiptIds)).ToDictionary(receipt => receipt.TransferId);

            var holdIds = batch.Where(command => command.HoldId is not null).Select(command => command.HoldId!.Value).Distinct().ToArray();
            var holds = holdIds.Length == 0
                ? []
                : (await session.LoadManyAsync<Hold>(token, holdIds)).ToDictionary(hold => hold.HoldId);

            var versions = accounts.ToDictionary(pair => pair.Key, pair => pair.Value.Version);
            var book = new AccountBook(accounts, receipts, holds);
            var now = clock.GetUtcNow();
            for (var i = 0; i < batch.Count; i++)
            {
                try
                {
                    var decision = batch[i].Decide(book, now);
                    if (decision is AppendDecision append)
                    {
                        book.Apply(append);
                    }

                    decisions[i] = decision;
                }
                catch (Exception rejected)
                {
                    // The decision is pure and wrote nothing: the command fails alone, the batch goes on without it. Its answer
                    // waits for the commit, since it may rest on the commands before it in the batch.
                    rejections[i] = rejected;
                }
            }

            var appends = Enumerable.Range(0, batch.Count).Where(i => decisions[i] is AppendDecision).ToList();
            if (appends.Count > 0)
            {
                var lost = await CompleteIdempotencyKeysAsync(connection, batch, decisions, appends, token);
                if (lost.Count > 0)
                {
                    foreach (var i in lost)
                    {
                        batch[i].Outcome.TrySetException(CommandCommit.LostLease(batch[i].Answer!.Key));
                    }

                    // Nothing is answered yet: disposing the session rolls the transaction back.
                    return batch.Where(command => !command.Outcome.Task.IsCompleted).ToList();
                }

                Append(session, batch, decisions, appends, versions);
                foreach (var placed in book.PlacedHolds)
                {
                    session.Insert(placed);
                }

                foreach (var changed in book.ChangedHolds)
                {
                    session.Update(changed);
                }

                committing = true;
                await session.SaveChangesAsync(token);
            }

            Publish(batch, decisions, rejections);
            return [];
        }
        catch (Exception failure) when (deadline.IsCancellationRequested && failure is not ProblemException &&
                                        (!committing || ExceptionChain.HasSqlState(failure, PostgresErrorCodes.QueryCanceled)))
        {
            // Before the commit, or PostgreSQL itself reports the statement cancelled: the transaction cannot have committed.
            // A deadline that fires during the commit without that report leaves the outcome unknown: it is every command's
            // answer as it is (see CommitAsync), never "nothing changed".
            throw CommandOptions.TimeLimitExceeded(limit, failure);
        }
    }

    /// <summary>
    /// A span for one transaction of a batch, linked to the span of every request in it (its database commands are its
    /// children). A batch of one command is a child of that request's span, so a quiet ledger shows one trace per request.
    /// </summary>
    private static Activity? StartBatchSpan(IReadOnlyList<AccountCommand> batch)
    {
        if (!Spans.HasListeners())
        {
            return null;
        }

        var links = batch.Where(command => command.Trace is not null).Select(command => new ActivityLink(command.Trace!.AsParent())).ToList();
        var parent = batch.Count == 1 && batch[0].Trace is { } trace ? trace.AsParent() : default;
        var span = Spans.StartActivity("group commit", ActivityKind.Internal, parent, links: links);
        span?.SetTag("ledger.group_commit.commands", batch.Count);
        return span;
    }

    private static void Publish(IReadOnlyList<AccountCommand> batch, AccountDecision?[] decisions, Exception?[] rejections)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            if (decisions[i] is { } decision)
            {
                batch[i].Outcome.TrySetResult(decision);
            }
            else if (rejections[i] is { } rejected)
            {
                batch[i].Outcome.TrySetException(rejected);
            }
        }
    }

    /// <summary>Locks the streams in ascending id order, all in one statement (ADR-003).</summary>
    private static async Task LockStreamsAsync(NpgsqlConnection connection, Guid[] accountIds, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(MartenTables.LockStreams, connection);
        command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", accountIds));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Stores the answers of the commands that append under their requests' keys, in the batch's transaction; returns the
    /// commands whose request no longer holds its key (ADR-009), which must not commit.
    /// </summary>
    private static async Task<List<int>> CompleteIdempotencyKeysAsync(NpgsqlConnection connection, IReadOnlyList<AccountCommand> batch,
        AccountDecision?[] decisions, List<int> appends, CancellationToken cancellationToken)
    {
        var keyed = appends.Where(i => batch[i].Answer is not null).ToList();
        if (keyed.Count == 0)
        {
            return [];
        }

        var answers = keyed.Select(i => (batch[i].Answer!, batch[i].Answer!.Describe(decisions[i]!.Response))).ToList();
        var completed = await IdempotencyStore.CompleteAllAsync(connection, answers, cancellationToken);
        return keyed.Where(i => !completed.Contains(batch[i].Answer!.Token)).ToList();
    }

    /// <summary>
    /// Appends each account's events in the order they were decided, expecting the version the batch locked, and stamps each
    /// event with its own command's actor, correlation id and trace context.
    /// </summary>
    private static void Append(IDocumentSession session, IReadOnlyList<AccountCommand> batch, AccountDecision?[] decisions,
        List<int> appends, Dictionary<Guid, long> versions)
    {
        var streams = new Dictionary<Guid, List<(IAccountEvent Event, AccountCommand Command)>>();
        foreach (var i in appends)
        {
            var decision = (AppendDecision)decisions[i]!;
            foreach (var (accountId, e) in decision.Events)
            {
                if (!streams.TryGetValue(accountId, out var events))
                {
                    streams[accountId] = events = [];
                }

                events.Add((e, batch[i]));
            }

            if (decision.Receipt is { } receipt)
            {
                session.Insert(receipt);
            }
        }

        foreach (var (accountId, events) in streams)
        {
            Ledger.Domain.Invariant.Assert(versions.ContainsKey(accountId), "Events are appended only to accounts the batch locked and loaded.");
            var action = session.Events.Append(accountId, versions[accountId] + events.Count, events.Select(entry => (object)entry.Event).ToArray());
            for (var k = 0; k < events.Count; k++)
            {
                var stamped = action.Events[action.Events.Count - events.Count + k];
                stamped.CorrelationId = events[k].Command.CorrelationId;
                events[k].Command.Actor.StampOn(stamped);
                events[k].Command.Trace?.StampOn(stamped);
            }
        }
    }
}

/// <summary>
/// Runs a command on existing accounts in the next group commit as the current request: its caller and correlation id go on
/// the command's events, its <c>Idempotency-Key</c> answer commits with them.
/// </summary>
public sealed class AccountWriter(GroupCommit group, LedgerSessions sessions, CommandCommit commit)
{
    /// <summary>
    /// Locks <paramref name="accountIds"/>, looks up the receipt <paramref name="receiptId"/> and the hold
    /// <paramref name="holdId"/> if given, decides on them and
    /// commits; returns the decision's answer (a repeated answer is stored under the request's key on its own).
    /// </summary>
    public async Task<TView> RunAsync<TView>(IReadOnlyList<Guid> accountIds, Guid? receiptId,
        Func<AccountBook, DateTimeOffset, AccountDecision> decide, CancellationToken cancellationToken, Guid? holdId = null)
        where TView : class
    {
        ArgumentNullException.ThrowIfNull(decide);
        var command = new AccountCommand(accountIds, receiptId, decide, sessions.Actor(), sessions.CorrelationId, commit.Answer(),
            TraceContext.Current(), holdId);
        var decision = await group.RunAsync(command, cancellationToken);
        var view = (TView)decision.Response;
        if (decision is RepeatDecision)
        {
            return await commit.ReplayAsync(view, cancellationToken);
        }

        commit.Committed();
        return view;
    }
}
