using Ledger.Domain.Accounts;
using Ledger.EventStore;
using Marten;
using JasperFx.Events;

namespace Ledger.Testing;

/// <summary>
/// Decides commands with the domain (<see cref="AccountDecider"/>) and appends their events through Marten, as the API's
/// group commit does: on the account documents the store keeps, each event on the stream of every account it belongs to
/// (a capture to another account on both), the hold documents folded by <see cref="AccountDecider.EvolveHold"/> in the same
/// transaction, every event stamped with <see cref="Actor"/>. For tests that need holds and status changes where no HTTP
/// endpoint serves them, or a host without the API. Times come from <paramref name="clock"/> unless a call gives one.
/// </summary>
public sealed class LedgerWriter(IDocumentStore store, Actor? actor = null, Func<DateTimeOffset>? clock = null)
{
    private readonly Actor _actor = actor ?? new Actor("test-teller", "teller");
    private readonly Func<DateTimeOffset> _clock = clock ?? (() => DateTimeOffset.UtcNow);

    public async Task<Guid> OpenAsync(string currency = "EUR", long overdraftLimitMinor = 0, string owner = "Ada Lovelace")
    {
        var created = AccountDecider.Decide(new OpenAccount(Guid.CreateVersion7(), owner, currency, overdraftLimitMinor, _clock()));
        await using var session = store.LightweightSession();
        _actor.StampOn(session);
        session.Events.StartStream<Account>(created.AccountId, created);
        await session.SaveChangesAsync();
        return created.AccountId;
    }

    public Task<IAccountEvent> DepositAsync(Guid accountId, long amountMinor, string? reference = null) =>
        OnAccountAsync(accountId, (account, now) => AccountDecider.Decide(new Deposit(accountId, amountMinor, reference, now), account));

    public Task<IAccountEvent> WithdrawAsync(Guid accountId, long amountMinor, string? reference = null) =>
        OnAccountAsync(accountId, (account, now) => AccountDecider.Decide(new Withdraw(accountId, amountMinor, reference, now), account));

    public Task<IAccountEvent> FreezeAsync(Guid accountId, string reason = "test freeze", Guid? alertId = null) =>
        OnAccountAsync(accountId, (account, now) => AccountDecider.Decide(new FreezeAccount(accountId, reason, alertId, now), account));

    public Task<IAccountEvent> UnfreezeAsync(Guid accountId, string reason = "test unfreeze") =>
        OnAccountAsync(accountId, (account, now) => AccountDecider.Decide(new UnfreezeAccount(accountId, reason, now), account));

    public Task<IAccountEvent> CloseAsync(Guid accountId, string? reason = null) =>
        OnAccountAsync(accountId, (account, now) => AccountDecider.Decide(new CloseAccount(accountId, reason, now), account));

    /// <summary>Places a hold and returns its id; a purpose other than a plain hold makes it a movement awaiting approval.</summary>
    public async Task<Guid> PlaceHoldAsync(Guid accountId, long amountMinor, string? reference = null, DateTimeOffset? expiresAt = null,
        HoldPurpose purpose = HoldPurpose.Hold, Guid? toAccountId = null, string? requestedBy = null, DateTimeOffset? at = null)
    {
        var holdId = Guid.CreateVersion7();
        await AppendAsync([accountId], holdId: null, at, (accounts, _, now) => AccountDecider.Decide(
            new PlaceHold(holdId, accountId, amountMinor, reference, expiresAt, now, purpose, toAccountId, requestedBy), accounts[accountId]));
        return holdId;
    }

    /// <summary>Captures a plain hold: all of it, or <paramref name="amountMinor"/>; to <paramref name="toAccountId"/> or out of the ledger.</summary>
    public async Task<HoldCaptured> CaptureAsync(Guid holdId, long? amountMinor = null, Guid? toAccountId = null, string? reference = null,
        DateTimeOffset? at = null)
    {
        var hold = await LoadHoldAsync(holdId);
        return (HoldCaptured)await AppendAsync(toAccountId is { } to ? [hold.AccountId, to] : [hold.AccountId], holdId, at,
            (accounts, held, now) => AccountDecider.Decide(new CaptureHold(holdId, amountMinor, toAccountId, reference, now), held!,
                accounts[held!.AccountId], toAccountId is { } destination ? accounts[destination] : null));
    }

    /// <summary>Approves a movement awaiting approval: its whole hold is captured as requested.</summary>
    public async Task<HoldCaptured> ApproveAsync(Guid holdId, string approvedBy = "test-supervisor", DateTimeOffset? at = null)
    {
        var hold = await LoadHoldAsync(holdId);
        return (HoldCaptured)await AppendAsync(hold.ToAccountId is { } to ? [hold.AccountId, to] : [hold.AccountId], holdId, at,
            (accounts, held, now) => AccountDecider.Decide(new ApproveHold(holdId, approvedBy, now), held!, accounts[held!.AccountId],
                held.ToAccountId is { } destination ? accounts[destination] : null));
    }

    /// <summary>Releases a hold: by a person, by expiry (give <paramref name="at"/> at or after its expiry) or by a rejection.</summary>
    public async Task<HoldReleased> ReleaseAsync(Guid holdId, string reason = ReleaseReasons.Released, string? rejectedBy = null,
        DateTimeOffset? at = null)
    {
        var hold = await LoadHoldAsync(holdId);
        return (HoldReleased)await AppendAsync([hold.AccountId], holdId, at,
            (accounts, held, now) => AccountDecider.Decide(new ReleaseHold(holdId, reason, now, rejectedBy), held!, accounts[held!.AccountId]));
    }

    public async Task<Hold> LoadHoldAsync(Guid holdId)
    {
        await using var session = store.QuerySession();
        return await session.LoadAsync<Hold>(holdId) ?? throw new InvalidOperationException($"Hold {holdId} was never placed.");
    }

    private Task<IAccountEvent> OnAccountAsync(Guid accountId, Func<Account, DateTimeOffset, IAccountEvent> decide) =>
        AppendAsync([accountId], holdId: null, at: null, (accounts, _, now) => decide(accounts[accountId], now));

    /// <summary>One transaction: the accounts fetched for writing, the decision, its event on each stream it belongs to, the hold.</summary>
    private async Task<IAccountEvent> AppendAsync(IReadOnlyList<Guid> accountIds, Guid? holdId, DateTimeOffset? at,
        Func<IReadOnlyDictionary<Guid, Account>, Hold?, DateTimeOffset, IAccountEvent> decide)
    {
        await using var session = store.LightweightSession();
        _actor.StampOn(session);
        var streams = new Dictionary<Guid, IEventStream<Account>>();
        foreach (var accountId in accountIds.Distinct())
        {
            streams[accountId] = await session.Events.FetchForWriting<Account>(accountId);
        }

        var hold = holdId is { } id ? await session.LoadAsync<Hold>(id) : null;
        var decided = decide(streams.ToDictionary(pair => pair.Key, pair => pair.Value.Aggregate
                                                                           ?? throw new InvalidOperationException($"Account {pair.Key} was never opened.")),
            hold, at ?? _clock());
        foreach (var stream in streams.Values)
        {
            stream.AppendOne(decided);
        }

        if (decided is HoldPlaced or HoldCaptured or HoldReleased)
        {
            session.Store(AccountDecider.EvolveHold(hold, decided));
        }

        await session.SaveChangesAsync();
        return decided;
    }
}
