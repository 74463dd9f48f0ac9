using Ledger.Domain.Money;

namespace Ledger.Domain.Accounts;

/// <summary>A business rule refused the command. Nothing was recorded.</summary>
public abstract class Rejection(string message) : Exception(message);

public sealed class InsufficientFunds(Guid accountId, Currency currency, long balanceMinor, long overdraftLimitMinor, long amountMinor, long heldMinor = 0)
    : Rejection($"Account {accountId} cannot be debited {MinorUnits.Format(amountMinor, currency)} {currency}: " +
                $"balance {MinorUnits.Format(balanceMinor, currency)} {currency}, overdraft limit {MinorUnits.Format(overdraftLimitMinor, currency)} {currency}" +
                (heldMinor == 0 ? "." : $", held {MinorUnits.Format(heldMinor, currency)} {currency}."))
{
    public Guid AccountId { get; } = accountId;
    public Int128 AvailableMinor { get; } = (Int128)balanceMinor + overdraftLimitMinor - heldMinor;
}

public sealed class CurrencyMismatch(string fromCurrency, string toCurrency)
    : Rejection($"A transfer needs both accounts in one currency; the source holds {fromCurrency} and the destination {toCurrency}.");

public sealed class SameAccount(Guid accountId)
    : Rejection($"A transfer needs two different accounts; {accountId} is on both sides.");

/// <summary>Money may not leave a frozen account; it may still come in.</summary>
public sealed class AccountIsFrozen(Guid accountId)
    : Rejection($"Account {accountId} is frozen: it cannot be debited, hold money or be closed until it is unfrozen.")
{
    public Guid AccountId { get; } = accountId;
}

/// <summary>A closed account takes no command at all; its history stays readable.</summary>
public sealed class AccountIsClosed(Guid accountId)
    : Rejection($"Account {accountId} is closed: it takes no more movements, holds or changes.")
{
    public Guid AccountId { get; } = accountId;
}

/// <summary>A freeze of a frozen account, or an unfreeze of an account that is not frozen.</summary>
public sealed class AccountStatusUnchanged(Guid accountId, AccountStatus status, string command)
    : Rejection($"Account {accountId} is {status.ToString().ToLowerInvariant()}; it cannot be {command}.")
{
    public AccountStatus Status { get; } = status;
}

/// <summary>Closing needs a zero balance and no open hold.</summary>
public sealed class AccountNotSettled(Guid accountId, Currency currency, long balanceMinor, int holdsOpen)
    : Rejection($"Account {accountId} can be closed only with a zero balance and no open hold; it has a balance of " +
                $"{MinorUnits.Format(balanceMinor, currency)} {currency} and {holdsOpen} open hold(s).");

public sealed class AmountOutOfRange(long amountMinor, Currency currency)
    : Rejection($"The amount must be greater than 0 and at most {MinorUnits.Format(MinorUnits.AmountMax(currency), currency)} {currency}; " +
                $"got {MinorUnits.Format(amountMinor, currency)} {currency}.");

public sealed class BalanceOutOfRange(Guid accountId)
    : Rejection($"Account {accountId} would hold a balance outside the range the ledger can represent.");

/// <summary>The hold was captured or released already: a hold closes exactly once.</summary>
public sealed class HoldNotOpen(Guid holdId, HoldStatus status)
    : Rejection($"Hold {holdId} is {status.ToString().ToLowerInvariant()} already; only an open hold can be captured or released.")
{
    public HoldStatus Status { get; } = status;
}

/// <summary>The hold reached its <c>expiresAt</c>: it can only be released (the expiry process does so).</summary>
public sealed class HoldExpired(Guid holdId, DateTimeOffset expiresAt)
    : Rejection($"Hold {holdId} expired at {expiresAt.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'}; it can no longer be captured.");

/// <summary>An expiry that is not yet due; only the expiry process releases with reason expired.</summary>
public sealed class HoldNotExpired(Guid holdId)
    : Rejection($"Hold {holdId} has not expired.");

/// <summary>A capture of more than the hold, or of nothing.</summary>
public sealed class CaptureOutOfRange(Guid holdId, Currency currency, long heldMinor, long amountMinor)
    : Rejection($"A capture of hold {holdId} must be greater than 0 and at most the {MinorUnits.Format(heldMinor, currency)} {currency} held; " +
                $"got {MinorUnits.Format(amountMinor, currency)} {currency}.");

/// <summary>The expiry time of a new hold must be later than the moment it is placed.</summary>
public sealed class HoldExpiryNotInFuture(DateTimeOffset expiresAt)
    : Rejection($"'expiresAt' must be later than now; got {expiresAt.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'}.");

/// <summary>
/// A movement awaiting approval is captured only by an approval and released only by a rejection (or the other way round
/// for a plain hold): otherwise the second pair of eyes could be skipped.
/// </summary>
public sealed class WrongHoldKind(Guid holdId, bool awaitsApproval)
    : Rejection(awaitsApproval
        ? $"Hold {holdId} is a movement awaiting approval: a supervisor approves or rejects it (POST /api/v1/approvals/{holdId}/approve or /reject)."
        : $"Hold {holdId} is not awaiting approval; capture or release it as a hold.");

/// <summary>Four eyes: whoever requested a movement may not approve or reject it.</summary>
public sealed class SelfApproval(Guid holdId, string subject)
    : Rejection($"'{subject}' requested the movement of hold {holdId} and may not approve or reject it; another supervisor must.");
