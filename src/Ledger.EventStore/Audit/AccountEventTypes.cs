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
