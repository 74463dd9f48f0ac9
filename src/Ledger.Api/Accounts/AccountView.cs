using System.Text.Json.Serialization;
using Ledger.Domain.Accounts;
using Ledger.Domain.Money;

namespace Ledger.Api.Accounts;

/// <summary>
/// The account as the HTTP API shows it: amounts in major units of the account's currency. <see cref="Balance"/> is the
/// ledger balance; <see cref="Held"/> the sum of its open holds; <see cref="Available"/> what a debit may take (balance plus
/// overdraft limit minus held).
/// </summary>
public sealed record AccountView(
    Guid AccountId,
    string Owner,
    string Currency,
    decimal Balance,
    decimal Available,
    decimal Held,
    decimal OverdraftLimit,
    string Status,
    long Version,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Sequence = null)
{
    /// <summary>The view a read serves: with the global sequence of the last event it reflects.</summary>
    public static AccountView From(Ledger.EventStore.Audit.AccountSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return From(snapshot.State) with { Sequence = snapshot.Sequence };
    }

    public static AccountView From(Account account)
    {
        ArgumentNullException.ThrowIfNull(account);
        var currency = account.CurrencyUnit;
        return new AccountView(account.AccountId, account.Owner, account.Currency,
            MinorUnits.ToMajor(account.BalanceMinor, currency), MinorUnits.ToMajor((decimal)account.AvailableMinor(), currency),
            MinorUnits.ToMajor(account.HeldMinor, currency), MinorUnits.ToMajor(account.OverdraftLimitMinor, currency),
            account.Status.ToString().ToLowerInvariant(), account.Version, account.CreatedAt.ToUniversalTime(), account.UpdatedAt.ToUniversalTime());
    }

    public static string LocationOf(Guid accountId) => $"/api/v1/accounts/{accountId}";
}
