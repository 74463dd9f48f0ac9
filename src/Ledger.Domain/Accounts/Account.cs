using Ledger.Domain.Money;

namespace Ledger.Domain.Accounts;

public enum AccountStatus
{
    Open,
}

/// <summary>
/// The state of one account, folded from its stream by <see cref="AccountDecider.Evolve"/>. <see cref="Version"/> counts
/// the events applied, which equals the stream version because every event of the stream is applied exactly once.
/// Timestamps come from the events, never from the clock, so replaying a stream rebuilds the same state.
/// </summary>
public sealed record Account(
    Guid AccountId,
    string Owner,
    string Currency,
    long BalanceMinor,
    long OverdraftLimitMinor,
    AccountStatus Status,
    long Version,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public Currency CurrencyUnit => Money.Currency.Find(Currency);
}
