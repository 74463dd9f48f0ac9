using System.Security.Claims;
using Ledger.EventStore;
using Marten;

namespace Ledger.Api.Infrastructure;

/// <summary>Per-request facts that every session of the request carries into event metadata.</summary>
public sealed class RequestContext
{
    public const string CorrelationHeader = "X-Correlation-Id";
    public const int CorrelationIdLengthMax = 128;

    public string? CorrelationId { get; set; }

    /// <summary>
    /// The authenticated caller: subject (<c>sub</c>) and role claims (several joined by commas, in ordinal order). Null
    /// for an unauthenticated request, which never reaches a command (every endpoint requires a role).
    /// </summary>
    public static Actor? ActorOf(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (user.Identity is not ClaimsIdentity { IsAuthenticated: true } identity || string.IsNullOrEmpty(identity.Name))
        {
            return null;
        }

        var roles = identity.FindAll(identity.RoleClaimType).Select(claim => claim.Value).Order(StringComparer.Ordinal);
        return new Actor(identity.Name, string.Join(',', roles));
    }
}

/// <summary>
/// Opens Marten sessions stamped with the request's correlation id, its authenticated actor (subject and role) and its
/// trace context, so every event a command appends records who did it and in which trace. Handlers own their sessions.
/// </summary>
public sealed class LedgerSessions(IDocumentStore store, RequestContext context, IHttpContextAccessor http)
{
    public IDocumentSession OpenWriteSession()
    {
        var session = store.LightweightSession();
        session.CorrelationId = context.CorrelationId;
        Actor().StampOn(session);
        // The request's span goes with its events, so that their publication joins the request's trace (ADR-022).
        TraceContext.Current()?.StampOn(session);
        return session;
    }

    public IQuerySession OpenReadSession() => store.QuerySession();

    /// <summary>The request's correlation id, recorded on every event it appends.</summary>
    public string? CorrelationId => context.CorrelationId;

    /// <summary>The authenticated caller, recorded on every event it appends.</summary>
    public Actor Actor()
    {
        var actor = http.HttpContext is { } current ? RequestContext.ActorOf(current.User) : null;
        Ledger.Domain.Invariant.Assert(actor is not null, "A command runs only for an authenticated caller with a subject.");
        return actor!;
    }
}

public static class CorrelationMiddleware
{
    /// <summary>Takes <c>X-Correlation-Id</c> when it is printable ASCII of sane length, else the trace id; echoes it back.</summary>
    public static IApplicationBuilder UseCorrelation(this IApplicationBuilder app) =>
        app.Use(async (http, next) =>
        {
            var supplied = http.Request.Headers[RequestContext.CorrelationHeader].ToString();
            var correlationId = supplied.Length is > 0 and <= RequestContext.CorrelationIdLengthMax && supplied.All(c => c is >= '!' and <= '~')
                ? supplied
                : System.Diagnostics.Activity.Current?.TraceId.ToString() ?? http.TraceIdentifier;
            http.RequestServices.GetRequiredService<RequestContext>().CorrelationId = correlationId;
            http.Response.Headers[RequestContext.CorrelationHeader] = correlationId;
            await next(http);
        });
}
