using Ledger.Domain.Accounts;

namespace Ledger.EventStore.Projections;

/// <summary>One stored event as a replay sees it: the facts plus the metadata projections may use, never the clock.</summary>
public sealed record ReplayEvent(
    Guid StreamId,
    long Version,
    long Sequence,
    Guid EventId,
    IAccountEvent Data,
    string? CorrelationId,
    Actor? Actor);
