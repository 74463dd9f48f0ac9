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

/// <summary>The account may no longer be debited; <see cref="AlertId"/> names the fraud alert that froze it, if one did.</summary>
public sealed record AccountFrozen(
    Guid AccountId,
    string Reason,
    Guid? AlertId,
    DateTimeOffset OccurredAt) : IAccountEvent;

public sealed record AccountUnfrozen(
    Guid AccountId,
    string Reason,
    DateTimeOffset OccurredAt) : IAccountEvent;

/// <summary>The account is closed, with a zero balance and no open hold; nothing may change it any more.</summary>
public sealed record AccountClosed(
    Guid AccountId,
    string? Reason,
    DateTimeOffset OccurredAt) : IAccountEvent;

/// <summary>
/// <see cref="AmountMinor"/> of the account is held: no longer available to spend, still in the balance. A hold whose
/// <see cref="Purpose"/> is an approval is a withdrawal or a transfer (to <see cref="ToAccountId"/>) requested by
/// <see cref="RequestedBy"/> and awaiting a second person's approval.
/// </summary>
public sealed record HoldPlaced(
    Guid HoldId,
    Guid AccountId,
    long AmountMinor,
    string Currency,
    string? Reference,
    DateTimeOffset? ExpiresAt,
    HoldPurpose Purpose,
    Guid? ToAccountId,
    string? RequestedBy,
    DateTimeOffset OccurredAt) : IAccountEvent;

/// <summary>
/// A hold captured: <see cref="AmountMinor"/> leaves <see cref="AccountId"/>, to <see cref="ToAccountId"/> (then the event is
/// appended to both streams, in one transaction, like a transfer) or out of the ledger; the whole hold,
/// <see cref="HeldMinor"/>, stops being held. <see cref="ApprovedBy"/> names the supervisor who approved a movement that
/// awaited approval.
/// </summary>
public sealed record HoldCaptured(
    Guid HoldId,
    Guid AccountId,
    Guid? ToAccountId,
    long AmountMinor,
    long HeldMinor,
    string Currency,
    string? Reference,
    string? ApprovedBy,
    DateTimeOffset OccurredAt) : IAccountEvent;

/// <summary>A hold released without moving money: <see cref="AmountMinor"/> is available again. <see cref="Reason"/> is one of <see cref="ReleaseReasons"/>.</summary>
public sealed record HoldReleased(
    Guid HoldId,
    Guid AccountId,
    long AmountMinor,
    string Currency,
    string Reason,
    string? RejectedBy,
    DateTimeOffset OccurredAt) : IAccountEvent;
