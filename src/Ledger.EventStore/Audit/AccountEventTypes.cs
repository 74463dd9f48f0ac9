using Ledger.Domain.Accounts;

namespace Ledger.EventStore.Audit;

/// <summary>The public names of account events, as history entries and the hash chain show them.</summary>
public static class AccountEventTypes
{
    public static string NameOf(IAccountEvent @event) => @event switch
    {
        AccountCreated => nameof(AccountCreated),
        MoneyDeposited => nameof(MoneyDeposited),
        MoneyWithdrawn => nameof(MoneyWithdrawn),
        MoneyTransferred => nameof(MoneyTransferred),
        AccountFrozen => nameof(AccountFrozen),
        AccountUnfrozen => nameof(AccountUnfrozen),
        AccountClosed => nameof(AccountClosed),
        HoldPlaced => nameof(HoldPlaced),
        HoldCaptured => nameof(HoldCaptured),
        HoldReleased => nameof(HoldReleased),
        _ => throw new ArgumentOutOfRangeException(nameof(@event), @event.GetType().Name, "Not an account event."),
    };

    /// <summary>
    /// The signed effect on the account's balance: credits positive, debits negative; zero for events that move no money
    /// (creation, freezes, closing, and holds placed or released: a hold changes what is available, not the balance).
    /// </summary>
    public static long SignedAmountMinor(Guid accountId, IAccountEvent @event) => @event switch
    {
        AccountCreated or AccountFrozen or AccountUnfrozen or AccountClosed or HoldPlaced or HoldReleased => 0,
        MoneyDeposited deposited => deposited.AmountMinor,
        MoneyWithdrawn withdrawn => -withdrawn.AmountMinor,
        MoneyTransferred transfer => transfer.FromAccountId == accountId ? -transfer.AmountMinor : transfer.AmountMinor,
        HoldCaptured captured => captured.AccountId == accountId ? -captured.AmountMinor : captured.AmountMinor,
        _ => throw new ArgumentOutOfRangeException(nameof(@event), @event.GetType().Name, "Not an account event."),
    };

    /// <summary>
    /// An account's deposits and withdrawals to date (unsigned minor units) after <paramref name="event"/>, from those before
    /// it; null stays null (totals not recorded). Transfers move money between accounts and are in neither; a hold captured
    /// out of the ledger (no destination account) is money leaving it, a withdrawal, and one captured to an account is a transfer. Decimal, because
    /// a busy account's sums can outgrow a long long before its balance could.
    /// </summary>
    public static (decimal? DepositedMinor, decimal? WithdrawnMinor) ToDate(decimal? depositedMinor, decimal? withdrawnMinor,
        IAccountEvent @event) => @event switch
    {
        MoneyDeposited deposited => (depositedMinor + deposited.AmountMinor, withdrawnMinor),
        MoneyWithdrawn withdrawn => (depositedMinor, withdrawnMinor + withdrawn.AmountMinor),
        HoldCaptured { ToAccountId: null } captured => (depositedMinor, withdrawnMinor + captured.AmountMinor),
        _ => (depositedMinor, withdrawnMinor),
    };

    public static Guid? CounterpartyOf(Guid accountId, IAccountEvent @event) => @event switch
    {
        MoneyTransferred transfer => transfer.FromAccountId == accountId ? transfer.ToAccountId : transfer.FromAccountId,
        HoldCaptured { ToAccountId: { } to } captured => captured.AccountId == accountId ? to : captured.AccountId,
        _ => null,
    };

    /// <summary>The reference a statement line shows: the movement's or hold's reference, or the reason of a freeze, unfreeze or closing.</summary>
    public static string? ReferenceOf(IAccountEvent @event) => @event switch
    {
        MoneyDeposited deposited => deposited.Reference,
        MoneyWithdrawn withdrawn => withdrawn.Reference,
        MoneyTransferred transfer => transfer.Reference,
        HoldPlaced placed => placed.Reference,
        HoldCaptured captured => captured.Reference,
        AccountFrozen frozen => frozen.Reason,
        AccountUnfrozen unfrozen => unfrozen.Reason,
        AccountClosed closed => closed.Reason,
        _ => null,
    };
}
