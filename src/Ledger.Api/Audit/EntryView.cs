using System.Text.Json;
using System.Text.Json.Serialization;
using Ledger.Api.Infrastructure;
using Ledger.Domain.Money;
using Ledger.EventStore.Audit;

namespace Ledger.Api.Audit;

/// <summary>
/// One event of an account as auditors read it: the signed amount (credits +, debits −), the balance after it, what was
/// held and available after it (a hold changes what is available, not the balance, until it is captured), and the chain
/// <c>hash</c>, recomputable from <c>accountId</c>, <c>version</c>, <c>sequence</c>, <c>eventId</c>, <c>type</c>
/// and <c>data</c>, and <c>actor</c> when present (docs/audit.md). <c>actor</c> is who appended the event (subject and role
/// of the authenticated caller); left out for events appended before actors were recorded.
/// </summary>
public sealed record EntryView(
    long Version,
    long Sequence,
    Guid EventId,
    string Type,
    decimal Amount,
    string Currency,
    decimal BalanceAfter,
    decimal HeldAfter,
    decimal AvailableAfter,
    string OccurredAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Guid? TransferId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Guid? CounterpartyAccountId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reference,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? CorrelationId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ActorView? Actor,
    string Hash,
    JsonElement Data)
{
    public static EntryView From(AccountEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var currency = Domain.Money.Currency.Find(entry.Currency);
        return new EntryView(entry.Version, entry.Sequence, entry.EventId, entry.Type, MinorUnits.ToMajor(entry.AmountMinor, currency),
            entry.Currency, MinorUnits.ToMajor(entry.BalanceAfterMinor, currency), MinorUnits.ToMajor(entry.HeldAfterMinor, currency),
            MinorUnits.ToMajor(entry.AvailableAfterMinor, currency), Instants.Format(entry.OccurredAt), entry.TransferId,
            entry.CounterpartyAccountId, entry.Reference, entry.CorrelationId,
            entry.Actor is { } actor ? new ActorView(actor.Subject, actor.Role) : null, entry.Hash, entry.Data);
    }
}

/// <summary>Who did it: the authenticated subject (the token's <c>sub</c>) and its role.</summary>
public sealed record ActorView(string Subject, string Role);
