namespace Ledger.Domain.Accounts;

/// <summary>A business rule refused the command. Nothing was recorded.</summary>
public abstract class Rejection(string message) : Exception(message);

public sealed class InsufficientFunds(Guid accountId, long balanceMinor, long overdraftLimitMinor, long amountMinor)
    : Rejection($"Account {accountId} cannot be debited by {amountMinor} minor units: balance {balanceMinor}, overdraft limit {overdraftLimitMinor}.")
{
    public Guid AccountId { get; } = accountId;
    public Int128 AvailableMinor { get; } = (Int128)balanceMinor + overdraftLimitMinor;
}

public sealed class CurrencyMismatch(string fromCurrency, string toCurrency)
    : Rejection($"A transfer needs both accounts in one currency; the source holds {fromCurrency} and the destination {toCurrency}.");

public sealed class SameAccount(Guid accountId)
    : Rejection($"A transfer needs two different accounts; {accountId} is on both sides.");

public sealed class AccountNotOpen(Guid accountId, AccountStatus status)
    : Rejection($"Account {accountId} is {status.ToString().ToLowerInvariant()}, not open.");

public sealed class AmountOutOfRange(long amountMinor, long maximumMinor)
    : Rejection($"The amount must be greater than zero and at most {maximumMinor} minor units; got {amountMinor}.");

public sealed class BalanceOutOfRange(Guid accountId)
    : Rejection($"Account {accountId} would hold a balance outside the range the ledger can represent.");
