namespace Ledger.Domain.Accounts;

/// <summary>
/// The closed set of facts recorded in an account stream. Events carry facts only (no derived balances);
/// amounts are integer minor units of the account's currency; <c>OccurredAt</c> is the business time, in UTC.
/// </summary>
public interface IAccountEvent
{
    DateTimeOffset OccurredAt { get; }
}

public sealed record AccountCreated(
    Guid AccountId,
    string Owner,
    string Currency,
    long OverdraftLimitMinor,
    DateTimeOffset OccurredAt) : IAccountEvent;

public sealed record MoneyDeposited(
    Guid AccountId,
    long AmountMinor,
    string Currency,
    string? Reference,
    DateTimeOffset OccurredAt) : IAccountEvent;

public sealed record MoneyWithdrawn(
    Guid AccountId,
    long AmountMinor,
    string Currency,
    string? Reference,
    DateTimeOffset OccurredAt) : IAccountEvent;

/// <summary>
/// One transfer, appended to both accounts' streams in one database transaction: it debits
/// <see cref="FromAccountId"/> and credits <see cref="ToAccountId"/>.
/// </summary>
public sealed record MoneyTransferred(
    Guid TransferId,
    Guid FromAccountId,
    Guid ToAccountId,
    long AmountMinor,
    string Currency,
    string? Reference,
    DateTimeOffset OccurredAt) : IAccountEvent;
