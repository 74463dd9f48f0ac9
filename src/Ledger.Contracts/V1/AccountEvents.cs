namespace Ledger.Contracts.V1;

/// <summary>
/// Version 1 of the account integration events. Amounts are decimal strings in major units with exactly the currency's
/// digits ("12.30" EUR, "5" JPY), always with their currency. Times are RFC 3339 UTC. Fields are added, never renamed
/// or removed, within a version; anything else is a new version with a new <c>ce_type</c>.
/// </summary>
public interface IAccountIntegrationEvent
{
    Guid AccountId { get; }

    DateTimeOffset OccurredAt { get; }
}

public sealed record AccountCreatedV1(
    Guid AccountId,
    string Owner,
    string Currency,
    string OverdraftLimit,
    DateTimeOffset OccurredAt) : IAccountIntegrationEvent;

public sealed record MoneyDepositedV1(
    Guid AccountId,
    string Amount,
    string Currency,
    string? Reference,
    DateTimeOffset OccurredAt) : IAccountIntegrationEvent;

public sealed record MoneyWithdrawnV1(
    Guid AccountId,
    string Amount,
    string Currency,
    string? Reference,
    DateTimeOffset OccurredAt) : IAccountIntegrationEvent;

/// <summary>
/// One leg of a transfer, published once on each account's key. <see cref="Direction"/> says which leg:
/// <c>debit</c> on the source account, <c>credit</c> on the destination.
/// </summary>
public sealed record MoneyTransferredV1(
    Guid AccountId,
    Guid TransferId,
    Guid FromAccountId,
    Guid ToAccountId,
    string Direction,
    string Amount,
    string Currency,
    string? Reference,
    DateTimeOffset OccurredAt) : IAccountIntegrationEvent
{
    public const string Debit = "debit";
    public const string Credit = "credit";
}

/// <summary>
/// The account was frozen: money may still come in, none may leave it (withdrawals, outgoing transfers, new holds and
/// captures are refused) until it is unfrozen. <see cref="AlertId"/> names the fraud alert that asked for it, if one did.
/// </summary>
public sealed record AccountFrozenV1(
    Guid AccountId,
    string Reason,
    Guid? AlertId,
    DateTimeOffset OccurredAt) : IAccountIntegrationEvent;

public sealed record AccountUnfrozenV1(
    Guid AccountId,
    string Reason,
    DateTimeOffset OccurredAt) : IAccountIntegrationEvent;

/// <summary>The account was closed (with a zero balance and no open hold); no event follows on its key.</summary>
public sealed record AccountClosedV1(
    Guid AccountId,
    string? Reason,
    DateTimeOffset OccurredAt) : IAccountIntegrationEvent;

/// <summary>
/// <see cref="Amount"/> of the account is held: no longer available to spend, still in the balance. <see cref="Purpose"/>
/// is <c>hold</c> for a plain hold, or says which movement awaits a second person's approval: <c>withdrawal-approval</c>,
/// or <c>transfer-approval</c> to <see cref="ToAccountId"/>, requested by <see cref="RequestedBy"/>.
/// </summary>
public sealed record HoldPlacedV1(
    Guid AccountId,
    Guid HoldId,
    string Amount,
    string Currency,
    string? Reference,
    DateTimeOffset? ExpiresAt,
    string Purpose,
    Guid? ToAccountId,
    string? RequestedBy,
    DateTimeOffset OccurredAt) : IAccountIntegrationEvent
{
    public const string Hold = "hold";
    public const string WithdrawalApproval = "withdrawal-approval";
    public const string TransferApproval = "transfer-approval";
}

/// <summary>
/// A hold captured: <see cref="Amount"/> leaves <see cref="FromAccountId"/>, whose hold of <see cref="Held"/> (the whole
/// hold, at least the amount) ends. Captured to <see cref="ToAccountId"/>, it is a transfer, published once on each
/// account's key like <see cref="MoneyTransferredV1"/>: <see cref="Direction"/> <c>debit</c> on the source,
/// <c>credit</c> on the destination. Without <see cref="ToAccountId"/> the money leaves the ledger, like a withdrawal,
/// and there is only the debit. <see cref="ApprovedBy"/> names the supervisor who approved a movement awaiting approval.
/// </summary>
public sealed record HoldCapturedV1(
    Guid AccountId,
    Guid HoldId,
    Guid FromAccountId,
    Guid? ToAccountId,
    string Direction,
    string Amount,
    string Held,
    string Currency,
    string? Reference,
    string? ApprovedBy,
    DateTimeOffset OccurredAt) : IAccountIntegrationEvent
{
    public const string Debit = "debit";
    public const string Credit = "credit";
}

/// <summary>
/// A hold of <see cref="Amount"/> released without moving money: it is available again. <see cref="Reason"/> is
/// <c>released</c> (by a person), <c>expired</c> (its expiry passed) or <c>rejected</c> (a movement awaiting approval,
/// rejected by <see cref="RejectedBy"/>).
/// </summary>
public sealed record HoldReleasedV1(
    Guid AccountId,
    Guid HoldId,
    string Amount,
    string Currency,
    string Reason,
    string? RejectedBy,
    DateTimeOffset OccurredAt) : IAccountIntegrationEvent
{
    public const string Released = "released";
    public const string Expired = "expired";
    public const string Rejected = "rejected";
}

/// <summary>An alert of the fraud consumer, on <see cref="KafkaTopics.FraudAlerts"/>.</summary>
public sealed record FraudAlertV1(
    Guid AlertId,
    string Rule,
    Guid AccountId,
    IReadOnlyList<Guid> EventIds,
    string Amount,
    string Currency,
    DateTimeOffset DetectedAt,
    DateTimeOffset OccurredAt);
