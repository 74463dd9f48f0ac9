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
        _ => throw new ArgumentOutOfRangeException(nameof(@event), @event.GetType().Name, "Not an account event."),
    };

    /// <summary>The signed effect on the account's balance: credits positive, debits negative, creation zero.</summary>
    public static long SignedAmountMinor(Guid accountId, IAccountEvent @event) => @event switch
    {
        AccountCreated => 0,
        MoneyDeposited deposited => deposited.AmountMinor,
        MoneyWithdrawn withdrawn => -withdrawn.AmountMinor,
        MoneyTransferred transfer => transfer.FromAccountId == accountId ? -transfer.AmountMinor : transfer.AmountMinor,
        _ => throw new ArgumentOutOfRangeException(nameof(@event), @event.GetType().Name, "Not an account event."),
    };

    /// <summary>
    /// An account's deposits and withdrawals to date (unsigned minor units) after <paramref name="event"/>, from those before
    /// it; null stays null (totals not recorded). Transfers move money between accounts and are in neither. Decimal, because
    /// a busy account's sums can outgrow a long long before its balance could.
    /// </summary>
    public static (decimal? DepositedMinor, decimal? WithdrawnMinor) ToDate(decimal? depositedMinor, decimal? withdrawnMinor,
        IAccountEvent @event) => @event switch
    {
        MoneyDeposited deposited => (depositedMinor + deposited.AmountMinor, withdrawnMinor),
        MoneyWithdrawn withdrawn => (depositedMinor, withdrawnMinor + withdrawn.AmountMinor),
        _ => (depositedMinor, withdrawnMinor),
    };

    public static Guid? CounterpartyOf(Guid accountId, IAccountEvent @event) => @event is MoneyTransferred transfer
        ? transfer.FromAccountId == accountId ? transfer.ToAccountId : transfer.FromAccountId
        : null;

    public static string? ReferenceOf(IAccountEvent @event) => @event switch
    {
        MoneyDeposited deposited => deposited.Reference,
        MoneyWithdrawn withdrawn => withdrawn.Reference,
        MoneyTransferred transfer => transfer.Reference,
        _ => null,
    };
}
