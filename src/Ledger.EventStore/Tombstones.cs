namespace Ledger.EventStore;

/// <summary>
/// Marten's tombstones (ADR-008). When an append fails after Marten reserved its sequence numbers (a unique violation, a
/// cancelled request, a lost race to create a stream), Marten writes one <c>tombstone</c> event per reserved number, on a
/// stream of its own, so that the sequence stays without holes. A tombstone is a committed position and no event: every
/// reader of <c>mt_events</c> passes its sequence number and never hands it to a projection, a hash chain or Kafka.
/// This is the one place the ledger recognises them.
/// </summary>
public static class Tombstones
{
    /// <summary>The type Marten stores tombstones under in <c>mt_events.type</c>.</summary>
    public const string TypeName = "tombstone";

    /// <summary>
    /// An SQL condition on an <c>mt_events</c> row, unqualified, that keeps the ledger's events and drops tombstones.
    /// The tombstone stream's id cannot be used instead: Marten picks a new one each time a process starts.
    /// </summary>
    public const string NotTombstone = $"type <> '{TypeName}'";

    public static bool IsTombstone(string? typeName) => string.Equals(typeName, TypeName, StringComparison.Ordinal);
}
