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
        EnsureOpen(account);
        EnsureAmountInRange(command.AmountMinor, account.CurrencyUnit);
        EnsureRepresentable(account, command.AmountMinor);
        return new MoneyDeposited(account.AccountId, command.AmountMinor, account.Currency, command.Reference, OccurredAt(command.Now, account));
    }

    public static MoneyWithdrawn Decide(Withdraw command, Account account)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(account);
        EnsureOpen(account);
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

        EnsureOpen(from);
        EnsureOpen(to);
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
        var delta = @event switch
        {
            MoneyDeposited deposited => deposited.AmountMinor,
            MoneyWithdrawn withdrawn => -withdrawn.AmountMinor,
            MoneyTransferred transfer when transfer.FromAccountId == state!.AccountId => -transfer.AmountMinor,
            MoneyTransferred transfer when transfer.ToAccountId == state!.AccountId => transfer.AmountMinor,
            MoneyTransferred transfer => throw new InvariantViolationException(
                $"Transfer {transfer.TransferId} applied to account {state!.AccountId}, which is on neither side."),
            _ => throw new InvariantViolationException($"Unknown account event {@event.GetType().Name}."),
        };

        return state! with
        {
            BalanceMinor = checked(state.BalanceMinor + delta),
            Version = state.Version + 1,
            UpdatedAt = @event.OccurredAt,
        };
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

    private static void EnsureOpen(Account account)
    {
        if (account.Status != AccountStatus.Open)
        {
            throw new AccountNotOpen(account.AccountId, account.Status);
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

    /// <summary>A debit may not take the balance below minus the overdraft limit.</summary>
    private static void EnsureCovered(Account account, long amountMinor)
    {
        // Int128: balance minus amount must not wrap around, whatever the stored values.
        if ((Int128)account.BalanceMinor - amountMinor < -(Int128)account.OverdraftLimitMinor)
        {
            throw new InsufficientFunds(account.AccountId, account.CurrencyUnit, account.BalanceMinor, account.OverdraftLimitMinor, amountMinor);
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
