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

/// <summary>Freezes an account; <see cref="AlertId"/> names the fraud alert when a fraud rule asked for it.</summary>
public sealed record FreezeAccount(Guid AccountId, string Reason, Guid? AlertId, DateTimeOffset Now);

public sealed record UnfreezeAccount(Guid AccountId, string Reason, DateTimeOffset Now);

public sealed record CloseAccount(Guid AccountId, string? Reason, DateTimeOffset Now);

/// <summary>
/// Places a hold. <see cref="Purpose"/> other than <see cref="HoldPurpose.Hold"/> makes it a movement awaiting approval,
/// requested by <see cref="RequestedBy"/>; a transfer awaiting approval names its destination in <see cref="ToAccountId"/>.
/// </summary>
public sealed record PlaceHold(
    Guid HoldId,
    Guid AccountId,
    long AmountMinor,
    string? Reference,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset Now,
    HoldPurpose Purpose = HoldPurpose.Hold,
    Guid? ToAccountId = null,
    string? RequestedBy = null);

/// <summary>
/// Captures a plain hold: <see cref="AmountMinor"/> (null: the whole hold) leaves the account, to
/// <see cref="ToAccountId"/> (a transfer) or out of the ledger (null); the rest of the hold is released.
/// </summary>
public sealed record CaptureHold(Guid HoldId, long? AmountMinor, Guid? ToAccountId, string? Reference, DateTimeOffset Now);

/// <summary>A supervisor approves a movement awaiting approval: its hold is captured in full as the movement requested.</summary>
public sealed record ApproveHold(Guid HoldId, string ApprovedBy, DateTimeOffset Now);

/// <summary>
/// Releases an open hold: by a person (<see cref="ReleaseReasons.Released"/>), by the expiry process
/// (<see cref="ReleaseReasons.Expired"/>) or a supervisor's rejection (<see cref="ReleaseReasons.Rejected"/>, by
/// <see cref="RejectedBy"/>).
/// </summary>
public sealed record ReleaseHold(Guid HoldId, string Reason, DateTimeOffset Now, string? RejectedBy = null);
