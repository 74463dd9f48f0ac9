namespace Ledger.Domain.Accounts;

/// <summary>Commands carry the time they are decided at; the domain never reads a clock.</summary>
public sealed record OpenAccount(Guid AccountId, string Owner, string Currency, long OverdraftLimitMinor, DateTimeOffset Now);

public sealed record Deposit(Guid AccountId, long AmountMinor, string? Reference, DateTimeOffset Now);

public sealed record Withdraw(Guid AccountId, long AmountMinor, string? Reference, DateTimeOffset Now);

public sealed record Transfer(
    Guid TransferId,
    Guid FromAccountId,
    Guid ToAccountId,
    long AmountMinor,
    string? Reference,
    DateTimeOffset Now);
