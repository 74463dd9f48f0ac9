using System.Diagnostics;
using JasperFx.Events;
using Marten;

namespace Ledger.EventStore;

/// <summary>
/// The W3C Trace Context of the request that appended an event, stored with the event as Marten headers
/// (<see cref="TraceParentHeader"/>, <see cref="TraceStateHeader"/>), so that the relay, which publishes the event later on
/// another thread and maybe another node, continues the request's trace (ADR-022). Events appended outside a trace (the
/// seed, events from before traces were stored) have none.
/// </summary>
public sealed record TraceContext(string TraceParent, string? TraceState)
{
    /// <summary>The event header that holds the W3C <c>traceparent</c> of the span that appended the event.</summary>
    public const string TraceParentHeader = "traceparent";

    /// <summary>The event header that holds the W3C <c>tracestate</c>, when the trace has one.</summary>
    public const string TraceStateHeader = "tracestate";

    /// <summary>The context of the current span, or null outside a trace (or in a trace whose ids are not W3C).</summary>
    public static TraceContext? Current() => From(Activity.Current);

    /// <summary>The context of <paramref name="activity"/>, or null when there is none or its ids are not W3C.</summary>
    public static TraceContext? From(Activity? activity) =>
        activity is { IdFormat: ActivityIdFormat.W3C, Id: { } id } ? new TraceContext(id, NullIfEmpty(activity.TraceStateString)) : null;

    /// <summary>The context stored with an event, or null when it has none or what it has is not a valid traceparent.</summary>
    public static TraceContext? Of(IEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.Headers is not { } headers || !headers.TryGetValue(TraceParentHeader, out var parent) || parent?.ToString() is not { Length: > 0 } traceParent)
        {
            return null;
        }

        var traceState = headers.TryGetValue(TraceStateHeader, out var state) ? NullIfEmpty(state?.ToString()) : null;
        return ActivityContext.TryParse(traceParent, traceState, out _) ? new TraceContext(traceParent, traceState) : null;
    }

    /// <summary>The context as a remote parent of a new span; default (no parent) if it does not parse.</summary>
    public ActivityContext AsParent() =>
        ActivityContext.TryParse(TraceParent, TraceState, isRemote: true, out var context) ? context : default;

    /// <summary>Stamps every event the session appends with this context.</summary>
    public void StampOn(IDocumentSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        session.SetHeader(TraceParentHeader, TraceParent);
        if (TraceState is not null)
        {
            session.SetHeader(TraceStateHeader, TraceState);
        }
    }

    /// <summary>Stamps one event with this context, where events of several requests share one session (a group commit).</summary>
    public void StampOn(IEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        e.SetHeader(TraceParentHeader, TraceParent);
        if (TraceState is not null)
        {
            e.SetHeader(TraceStateHeader, TraceState);
        }
    }

    private static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;
}
