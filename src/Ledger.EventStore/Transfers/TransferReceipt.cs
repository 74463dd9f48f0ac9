namespace Ledger.EventStore.Transfers;

/// <summary>
/// One row per transfer id, inserted in the same transaction as the transfer's events. The primary key makes a
/// client-supplied transfer id take effect once; the stored outcome lets a retry with the same content be answered
/// with the first response.
/// </summary>
public sealed record TransferReceipt(
    Guid TransferId,
    Guid FromAccountId,
    Guid ToAccountId,
    long AmountMinor,
    string Currency,
    string? Reference,
    long FromBalanceMinor,
    long ToBalanceMinor,
    DateTimeOffset OccurredAt);
