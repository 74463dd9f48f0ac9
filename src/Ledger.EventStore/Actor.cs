using JasperFx.Events;
using Marten;

namespace Ledger.EventStore;

/// <summary>
/// Who appended an event: the authenticated subject (the token's <c>sub</c>) and its role. Stored with every event as
/// Marten metadata: the subject in the event's user name (<c>mt_events.user_name</c>), the role in the header
/// <see cref="RoleHeader"/>. Events appended before actors were recorded have none.
/// </summary>
public sealed record Actor(string Subject, string Role)
{
    /// <summary>The event header that holds the actor's role.</summary>
    public const string RoleHeader = "actorRole";

    /// <summary>Subjects and roles are identifiers, never free text: at most this long.</summary>
    public const int LengthMax = 256;

    /// <summary>The actor of every event the seed writes.</summary>
    public static Actor Seed { get; } = new("seed", "system");

    /// <summary>The actor of the releases of expired holds.</summary>
    public static Actor HoldExpiry { get; } = new("hold-expiry", "system");

    /// <summary>Stamps every event the session appends with this actor.</summary>
    public void StampOn(IDocumentSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        session.LastModifiedBy = Subject;
        session.SetHeader(RoleHeader, Role);
    }

    /// <summary>Stamps one event with this actor, where events of several actors share one session (a group commit).</summary>
    public void StampOn(IEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        e.UserName = Subject;
        e.SetHeader(RoleHeader, Role);
    }

    /// <summary>The actor recorded on an event, or null for an event appended before actors were recorded.</summary>
    public static Actor? Of(IEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var role = e.Headers is { } headers && headers.TryGetValue(RoleHeader, out var value) ? value?.ToString() : null;
        return From(e.UserName, role);
    }

    /// <summary>An actor from its stored parts; null unless the subject is present (a role alone names nobody).</summary>
    public static Actor? From(string? subject, string? role) =>
        string.IsNullOrEmpty(subject) ? null : new Actor(subject, role ?? "");
}
