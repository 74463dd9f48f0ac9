using Ledger.Domain.Money;

namespace Ledger.Domain.Accounts;

/// <summary>Pure decide and evolve functions for accounts: no I/O, no clock, no randomness.</summary>
public static class AccountDecider
{
    public static AccountCreated Decide(OpenAccount command)
    {
        ArgumentNullException.ThrowIfNull(command);
        Invariant.Assert(Money.Currency.TryFind(command.Currency, out _), $"Unknown currency '{command.Currency}' reached the domain.");
        var currency = Money.Currency.Find(command.Currency);
        if (command.OverdraftLimitMinor < 0 || command.OverdraftLimitMinor > MinorUnits.AmountMax(currency))
        {
            throw new AmountOutOfRange(command.OverdraftLimitMinor, currency);
        }

        return new AccountCreated(command.AccountId, command.Owner, command.Currency, command.OverdraftLimitMinor, ToMicroseconds(command.Now));
    }

    public static MoneyDeposited Decide(Deposit command, Account account)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(account);
        EnsureCanCredit(account);
        EnsureAmountInRange(command.AmountMinor, account.CurrencyUnit);
        EnsureRepresentable(account, command.AmountMinor);
        return new MoneyDeposited(account.AccountId, command.AmountMinor, account.Currency, command.Reference, OccurredAt(command.Now, account));
    }

    public static MoneyWithdrawn Decide(Withdraw command, Account account)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(account);
        EnsureCanDebit(account);
        EnsureAmountInRange(command.AmountMinor, account.CurrencyUnit);
        EnsureCovered(account, command.AmountMinor);
        return new MoneyWithdrawn(account.AccountId, command.AmountMinor, account.Currency, command.Reference, OccurredAt(command.Now, account));
    }

    public static MoneyTransferred Decide(Transfer command, Account from, Account to)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        Invariant.Assert(from.AccountId == command.FromAccountId && to.AccountId == command.ToAccountId,
            "Transfer decided against the wrong accounts.");
        if (from.AccountId == to.AccountId)
        {
            throw new SameAccount(from.AccountId);
        }

        EnsureCanDebit(from);
        EnsureCanCredit(to);
        if (from.Currency != to.Currency)
        {
            throw new CurrencyMismatch(from.Currency, to.Currency);
        }

        EnsureAmountInRange(command.AmountMinor, from.CurrencyUnit);
        EnsureCovered(from, command.AmountMinor);
        EnsureRepresentable(to, command.AmountMinor);
        return new MoneyTransferred(command.TransferId, from.AccountId, to.AccountId, command.AmountMinor, from.Currency,
            command.Reference, OccurredAt(OccurredAt(command.Now, from), to));
    }

    public static AccountFrozen Decide(FreezeAccount command, Account account)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(account);
        EnsureNotClosed(account);
        if (account.Status == AccountStatus.Frozen)
        {
            throw new AccountStatusUnchanged(account.AccountId, account.Status, "frozen again");
        }

        return new AccountFrozen(account.AccountId, command.Reason, command.AlertId, OccurredAt(command.Now, account));
    }

    public static AccountUnfrozen Decide(UnfreezeAccount command, Account account)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(account);
        EnsureNotClosed(account);
        if (account.Status != AccountStatus.Frozen)
        {
            throw new AccountStatusUnchanged(account.AccountId, account.Status, "unfrozen");
        }

        return new AccountUnfrozen(account.AccountId, command.Reason, OccurredAt(command.Now, account));
    }

    /// <summary>Closing needs an open account (a frozen one is unfrozen first) with a zero balance and no open hold.</summary>
    public static AccountClosed Decide(CloseAccount command, Account account)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(account);
        EnsureCanDebit(account);
        if (account.BalanceMinor != 0 || account.HoldsOpen != 0)
        {
            throw new AccountNotSettled(account.AccountId, account.CurrencyUnit, account.BalanceMinor, account.HoldsOpen);
        }

        return new AccountClosed(account.AccountId, command.Reason, OccurredAt(command.Now, account));
    }

    /// <summary>A hold is a debit of what is available: the account must be open and the amount covered by what is available.</summary>
    public static HoldPlaced Decide(PlaceHold command, Account account)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(account);
        Invariant.Assert(command.AccountId == account.AccountId, "Hold decided against the wrong account.");
        Invariant.Assert((command.Purpose == HoldPurpose.TransferApproval) == (command.ToAccountId is not null),
            "A transfer awaiting approval, and only it, names a destination.");
        EnsureCanDebit(account);
        EnsureAmountInRange(command.AmountMinor, account.CurrencyUnit);
        var at = OccurredAt(command.Now, account);
        var expiresAt = command.ExpiresAt is { } expiry ? ToMicroseconds(expiry) : (DateTimeOffset?)null;
        if (expiresAt is { } due && due <= at)
        {
            throw new HoldExpiryNotInFuture(due);
        }

        EnsureCovered(account, command.AmountMinor);
        return new HoldPlaced(command.HoldId, account.AccountId, command.AmountMinor, account.Currency, command.Reference, expiresAt,
            command.Purpose, command.ToAccountId, command.RequestedBy, at);
    }

    /// <summary>
    /// A withdrawal that needs a second person's approval: decided as the withdrawal would be, then held instead of executed,
    /// under <paramref name="holdId"/>, until a supervisor approves (captures) or rejects (releases) it.
    /// </summary>
    public static HoldPlaced RequestApproval(Withdraw command, Account account, Guid holdId, string requestedBy)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(account);
        Decide(command, account);
        return Decide(new PlaceHold(holdId, account.AccountId, command.AmountMinor, command.Reference, null, command.Now,
            HoldPurpose.WithdrawalApproval, null, requestedBy), account);
    }

    /// <summary>
    /// A transfer that needs a second person's approval: decided as the transfer would be (both accounts, one currency), then
    /// held on the source under the transfer's id until a supervisor approves or rejects it.
    /// </summary>
    public static HoldPlaced RequestApproval(Transfer command, Account from, Account to, string requestedBy)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(from);
        Decide(command, from, to);
        return Decide(new PlaceHold(command.TransferId, from.AccountId, command.AmountMinor, command.Reference, null, command.Now,
            HoldPurpose.TransferApproval, to.AccountId, requestedBy), from);
    }

    /// <summary>
    /// Captures a plain hold, in full or in part, out of the ledger or to <paramref name="to"/> (a transfer); what is left
    /// of the hold is released with it. An expired hold cannot be captured even before the expiry process released it.
    /// </summary>
    public static HoldCaptured Decide(CaptureHold command, Hold hold, Account from, Account? to)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(hold);
        ArgumentNullException.ThrowIfNull(from);
        Invariant.Assert(hold.HoldId == command.HoldId && hold.AccountId == from.AccountId && command.ToAccountId == to?.AccountId,
            "Capture decided against the wrong hold or accounts.");
        EnsureOpenHold(hold);
        if (hold.AwaitsApproval)
        {
            throw new WrongHoldKind(hold.HoldId, awaitsApproval: true);
        }

        if (hold.IsExpiredAt(command.Now))
        {
            throw new HoldExpired(hold.HoldId, hold.ExpiresAt!.Value);
        }

        EnsureCanDebit(from);
        var amountMinor = command.AmountMinor ?? hold.AmountMinor;
        if (amountMinor <= 0 || amountMinor > hold.AmountMinor)
        {
            throw new CaptureOutOfRange(hold.HoldId, from.CurrencyUnit, hold.AmountMinor, amountMinor);
        }

        return Captured(hold, from, to, amountMinor, command.Reference ?? hold.Reference, approvedBy: null, command.Now);
    }

    /// <summary>A supervisor other than the requester approves a movement awaiting approval: the whole hold is captured as requested.</summary>
    public static HoldCaptured Decide(ApproveHold command, Hold hold, Account from, Account? to)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(hold);
        ArgumentNullException.ThrowIfNull(from);
        Invariant.Assert(hold.HoldId == command.HoldId && hold.AccountId == from.AccountId && hold.ToAccountId == to?.AccountId,
            "Approval decided against the wrong hold or accounts.");
        EnsureOpenHold(hold);
        if (!hold.AwaitsApproval)
        {
            throw new WrongHoldKind(hold.HoldId, awaitsApproval: false);
        }

        EnsureOtherThanRequester(hold, command.ApprovedBy);
        EnsureCanDebit(from);
        return Captured(hold, from, to, hold.AmountMinor, hold.Reference, command.ApprovedBy, command.Now);
    }

    /// <summary>
    /// Releases an open hold. A person releases a plain hold; a supervisor other than the requester rejects a movement
    /// awaiting approval; the expiry process releases a hold from its <c>expiresAt</c> on. Releasing moves no money, so a
    /// frozen account may release.
    /// </summary>
    public static HoldReleased Decide(ReleaseHold command, Hold hold, Account account)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(hold);
        ArgumentNullException.ThrowIfNull(account);
        Invariant.Assert(hold.HoldId == command.HoldId && hold.AccountId == account.AccountId, "Release decided against the wrong hold or account.");
        Invariant.Assert(ReleaseReasons.All.Contains(command.Reason), $"Unknown release reason '{command.Reason}'.");
        EnsureNotClosed(account);
        EnsureOpenHold(hold);
        switch (command.Reason)
        {
            case ReleaseReasons.Released when hold.AwaitsApproval:
                throw new WrongHoldKind(hold.HoldId, awaitsApproval: true);
            case ReleaseReasons.Rejected when !hold.AwaitsApproval:
                throw new WrongHoldKind(hold.HoldId, awaitsApproval: false);
            case ReleaseReasons.Rejected:
                EnsureOtherThanRequester(hold, command.RejectedBy ?? "");
                break;
            case ReleaseReasons.Expired when !hold.IsExpiredAt(command.Now):
                throw new HoldNotExpired(hold.HoldId);
        }

        return new HoldReleased(hold.HoldId, account.AccountId, hold.AmountMinor, hold.Currency, command.Reason,
            command.Reason == ReleaseReasons.Rejected ? command.RejectedBy : null, OccurredAt(command.Now, account));
    }

    /// <summary>Applies one of a hold's events (<see cref="HoldPlaced"/>, then one <see cref="HoldCaptured"/> or <see cref="HoldReleased"/>).</summary>
    public static Hold EvolveHold(Hold? hold, IAccountEvent @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        if (@event is HoldPlaced placed)
        {
            Invariant.Assert(hold is null, $"Hold {placed.HoldId} placed twice.");
            return new Hold(placed.HoldId, placed.AccountId, placed.AmountMinor, placed.Currency, placed.Reference, placed.ExpiresAt,
                placed.Purpose, placed.ToAccountId, placed.RequestedBy, HoldStatus.Open, placed.OccurredAt);
        }

        Invariant.Assert(hold is { Status: HoldStatus.Open }, $"{@event.GetType().Name} applied to a hold that is not open.");
        return @event switch
        {
            HoldCaptured captured => hold! with
            {
                Status = HoldStatus.Captured, CapturedMinor = captured.AmountMinor, CapturedToAccountId = captured.ToAccountId,
                ApprovedBy = captured.ApprovedBy, ClosedAt = captured.OccurredAt,
            },
            HoldReleased released => hold! with
            {
                Status = HoldStatus.Released, ReleaseReason = released.Reason, RejectedBy = released.RejectedBy, ClosedAt = released.OccurredAt,
            },
            _ => throw new InvariantViolationException($"{@event.GetType().Name} is not a hold event."),
        };
    }

    private static HoldCaptured Captured(Hold hold, Account from, Account? to, long amountMinor, string? reference, string? approvedBy,
        DateTimeOffset now)
    {
        var at = OccurredAt(now, from);
        if (to is not null)
        {
            if (to.AccountId == from.AccountId)
            {
                throw new SameAccount(from.AccountId);
            }

            EnsureCanCredit(to);
            if (from.Currency != to.Currency)
            {
                throw new CurrencyMismatch(from.Currency, to.Currency);
            }

            EnsureRepresentable(to, amountMinor);
            at = OccurredAt(at, to);
        }

        return new HoldCaptured(hold.HoldId, from.AccountId, to?.AccountId, amountMinor, hold.AmountMinor, from.Currency, reference,
            approvedBy, at);
    }

    /// <summary>Applies one event of the account's stream. <paramref name="state"/> is null before the first event.</summary>
    public static Account Evolve(Account? state, IAccountEvent @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        if (@event is AccountCreated created)
        {
            Invariant.Assert(state is null, $"Account {created.AccountId} created twice.");
            return new Account(created.AccountId, created.Owner, created.Currency, 0, created.OverdraftLimitMinor,
                AccountStatus.Open, 1, created.OccurredAt, created.OccurredAt);
        }

        Invariant.Assert(state is not null, $"{@event.GetType().Name} applied to an account that was never created.");
        var account = state!;
        var next = @event switch
        {
            MoneyDeposited deposited => account with { BalanceMinor = checked(account.BalanceMinor + deposited.AmountMinor) },
            MoneyWithdrawn withdrawn => account with { BalanceMinor = checked(account.BalanceMinor - withdrawn.AmountMinor) },
            MoneyTransferred transfer when transfer.FromAccountId == account.AccountId =>
                account with { BalanceMinor = checked(account.BalanceMinor - transfer.AmountMinor) },
            MoneyTransferred transfer when transfer.ToAccountId == account.AccountId =>
                account with { BalanceMinor = checked(account.BalanceMinor + transfer.AmountMinor) },
            MoneyTransferred transfer => throw new InvariantViolationException(
                $"Transfer {transfer.TransferId} applied to account {account.AccountId}, which is on neither side."),
            AccountFrozen => account with { Status = AccountStatus.Frozen },
            AccountUnfrozen => account with { Status = AccountStatus.Open },
            AccountClosed => account with { Status = AccountStatus.Closed },
            HoldPlaced placed => account with
            {
                HeldMinor = checked(account.HeldMinor + placed.AmountMinor), HoldsOpen = account.HoldsOpen + 1,
            },
            HoldCaptured captured when captured.AccountId == account.AccountId => account with
            {
                BalanceMinor = checked(account.BalanceMinor - captured.AmountMinor),
                HeldMinor = checked(account.HeldMinor - captured.HeldMinor),
                HoldsOpen = account.HoldsOpen - 1,
            },
            HoldCaptured captured when captured.ToAccountId == account.AccountId =>
                account with { BalanceMinor = checked(account.BalanceMinor + captured.AmountMinor) },
            HoldCaptured captured => throw new InvariantViolationException(
                $"Capture of hold {captured.HoldId} applied to account {account.AccountId}, which is on neither side."),
            HoldReleased released => account with
            {
                HeldMinor = checked(account.HeldMinor - released.AmountMinor), HoldsOpen = account.HoldsOpen - 1,
            },
            _ => throw new InvariantViolationException($"Unknown account event {@event.GetType().Name}."),
        };

        Invariant.Assert(next.HoldsOpen >= 0 && next.HeldMinor >= 0 && (next.HoldsOpen == 0) == (next.HeldMinor == 0),
            $"Account {account.AccountId} would hold {next.HeldMinor} in {next.HoldsOpen} open holds.");
        return next with { Version = account.Version + 1, UpdatedAt = @event.OccurredAt };
    }

    public static Account? Fold(IEnumerable<IAccountEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        Account? state = null;
        foreach (var @event in events)
        {
            state = Evolve(state, @event);
        }

        return state;
    }

    /// <summary>
    /// Event time never goes backwards within a stream, even if the clock does: an account's history ordered by version
    /// is then also ordered by time, which is what makes "the account as of an instant" well defined.
    /// </summary>
    private static DateTimeOffset OccurredAt(DateTimeOffset now, Account account)
    {
        var at = ToMicroseconds(now);
        return at >= account.UpdatedAt ? at : account.UpdatedAt;
    }

    /// <summary>Event times are kept to the microsecond, PostgreSQL's resolution, so stored and indexed times agree exactly.</summary>
    private static DateTimeOffset ToMicroseconds(DateTimeOffset instant)
    {
        var utc = instant.ToUniversalTime();
        return utc.AddTicks(-(utc.Ticks % TimeSpan.TicksPerMicrosecond));
    }

    /// <summary>Money may come into an open or a frozen account, not into a closed one.</summary>
    private static void EnsureCanCredit(Account account) => EnsureNotClosed(account);

    /// <summary>Money may leave, or be held on, an open account only.</summary>
    private static void EnsureCanDebit(Account account)
    {
        EnsureNotClosed(account);
        if (account.Status == AccountStatus.Frozen)
        {
            throw new AccountIsFrozen(account.AccountId);
        }
    }

    private static void EnsureNotClosed(Account account)
    {
        if (account.Status == AccountStatus.Closed)
        {
            throw new AccountIsClosed(account.AccountId);
        }
    }

    private static void EnsureOpenHold(Hold hold)
    {
        if (hold.Status != HoldStatus.Open)
        {
            throw new HoldNotOpen(hold.HoldId, hold.Status);
        }
    }

    private static void EnsureOtherThanRequester(Hold hold, string subject)
    {
        if (string.Equals(hold.RequestedBy, subject, StringComparison.Ordinal))
        {
            throw new SelfApproval(hold.HoldId, subject);
        }
    }

    private static void EnsureAmountInRange(long amountMinor, Currency currency)
    {
        var maximum = MinorUnits.AmountMax(currency);
        if (amountMinor <= 0 || amountMinor > maximum)
        {
            throw new AmountOutOfRange(amountMinor, currency);
        }
    }

    /// <summary>
    /// A debit (or a new hold) may not take more than is available: the balance minus what is held may not go below minus
    /// the overdraft limit.
    /// </summary>
    private static void EnsureCovered(Account account, long amountMinor)
    {
        // Int128: the sums must not wrap around, whatever the stored values.
        if (account.AvailableMinor() - amountMinor < 0)
        {
            throw new InsufficientFunds(account.AccountId, account.CurrencyUnit, account.BalanceMinor, account.OverdraftLimitMinor, amountMinor,
                account.HeldMinor);
        }
    }

    private static void EnsureRepresentable(Account account, long amountMinor)
    {
        if (account.BalanceMinor > long.MaxValue - amountMinor)
        {
            throw new BalanceOutOfRange(account.AccountId);
        }
    }
}
