namespace Ledger.Domain.Accounts;

/// <summary>Why a hold was placed: a plain hold (a card authorisation, a cheque awaiting clearance) or a movement awaiting a second person's approval.</summary>
public enum HoldPurpose
{
    Hold,
    WithdrawalApproval,
    TransferApproval,
}

public enum HoldStatus
{
    Open,
    Captured,
    Released,
}

/// <summary>Why an open hold was released.</summary>
public static class ReleaseReasons
{
    /// <summary>A person released it (<c>POST .../holds/{holdId}/release</c>).</summary>
    public const string Released = "released";

    /// <summary>It passed its <c>expiresAt</c> and the expiry process released it.</summary>
    public const string Expired = "expired";

    /// <summary>A supervisor rejected the movement it was waiting approval for.</summary>
    public const string Rejected = "rejected";

    public static IReadOnlyList<string> All { get; } = [Released, Expired, Rejected];
}

/// <summary>
/// One hold (two-phase movement): placed on <see cref="AccountId"/> for <see cref="AmountMinor"/>, then captured (in full
/// or in part; to <see cref="CapturedToAccountId"/>, or out of the ledger when that is null) or released. A movement awaiting
/// approval is a hold whose <see cref="Purpose"/> says what the approval executes: a withdrawal, or a transfer to
/// <see cref="ToAccountId"/>. Folded from the hold's events by <see cref="AccountDecider.EvolveHold"/>.
/// </summary>
public sealed record Hold(
    Guid HoldId,
    Guid AccountId,
    long AmountMinor,
    string Currency,
    string? Reference,
    DateTimeOffset? ExpiresAt,
    HoldPurpose Purpose,
    Guid? ToAccountId,
    string? RequestedBy,
    HoldStatus Status,
    DateTimeOffset PlacedAt,
    long? CapturedMinor = null,
    Guid? CapturedToAccountId = null,
    string? ApprovedBy = null,
    string? ReleaseReason = null,
    string? RejectedBy = null,
    DateTimeOffset? ClosedAt = null)
{
    public bool AwaitsApproval => Purpose != HoldPurpose.Hold;

    /// <summary>A hold is expired from its <c>expiresAt</c> on, whether or not the expiry process has released it yet.</summary>
    public bool IsExpiredAt(DateTimeOffset now) => ExpiresAt is { } expiresAt && now >= expiresAt;
}
