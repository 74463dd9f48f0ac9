using Ledger.Domain.Money;

namespace Ledger.Domain.Accounts;

/// <summary>
/// Where an account is in its life. <see cref="Open"/>: everything is allowed. <see cref="Frozen"/>: money may come in
/// (deposits, incoming transfers and captures) but not go out (withdrawals, outgoing transfers, new holds, captures).
/// <see cref="Closed"/>: nothing is allowed any more; the history stays readable.
/// </summary>
public enum AccountStatus
{
    Open,
    Frozen,
    Closed,
}

/// <summary>
/// The state of one account, folded from its stream by <see cref="AccountDecider.Evolve"/>. <see cref="Version"/> counts
/// the events applied, which equals the stream version because every event of the stream is applied exactly once.
/// Timestamps come from the events, never from the clock, so replaying a stream rebuilds the same state.
/// <see cref="HeldMinor"/> is the sum of the account's open holds and <see cref="HoldsOpen"/> their number: a hold takes
/// money out of what may be spent (<see cref="AvailableMinor"/>), not out of the balance, until it is captured.
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
    DateTimeOffset UpdatedAt,
    long HeldMinor = 0,
    int HoldsOpen = 0)
{
    public Currency CurrencyUnit => Money.Currency.Find(Currency);

    /// <summary>What a debit may take: balance plus overdraft limit minus open holds. Int128: it never wraps around.</summary>
    public Int128 AvailableMinor() => (Int128)BalanceMinor + OverdraftLimitMinor - HeldMinor;
}
