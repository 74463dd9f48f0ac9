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
