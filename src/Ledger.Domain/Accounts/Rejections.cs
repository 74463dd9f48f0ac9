using Ledger.Domain.Money;

namespace Ledger.Domain.Accounts;

/// <summary>A business rule refused the command. Nothing was recorded.</summary>
public abstract class Rejection(string message) : Exception(message);

public sealed class InsufficientFunds(Guid accountId, Currency currency, long balanceMinor, long overdraftLimitMinor, long amountMinor)
    : Rejection($"Account {accountId} cannot be debited {MinorUnits.Format(amountMinor, currency)} {currency}: " +
                $"balance {MinorUnits.Format(balanceMinor, currency)} {currency}, overdraft limit {MinorUnits.Format(overdraftLimitMinor, currency)} {currency}.")
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

public sealed class AmountOutOfRange(long amountMinor, Currency currency)
    : Rejection($"The amount must be greater than 0 and at most {MinorUnits.Format(MinorUnits.AmountMax(currency), currency)} {currency}; " +
                $"got {MinorUnits.Format(amountMinor, currency)} {currency}.");

public sealed class BalanceOutOfRange(Guid accountId)
    : Rejection($"Account {accountId} would hold a balance outside the range the ledger can represent.");
