using Marten;

namespace Ledger.Api.Infrastructure;

/// <summary>Per-request facts that every session of the request carries into event metadata.</summary>
public sealed class RequestContext
{
    public const string CorrelationHeader = "X-Correlation-Id";
    public const int CorrelationIdLengthMax = 128;

    public string? CorrelationId { get; set; }
}

/// <summary>Opens Marten sessions stamped with the request's correlation id. Handlers own their sessions.</summary>
public sealed class LedgerSessions(IDocumentStore store, RequestContext context)
{
    public IDocumentSession OpenWriteSession()
    {
        var session = store.LightweightSession();
        session.CorrelationId = context.CorrelationId;
        return session;
    }

    public IQuerySession OpenReadSession() => store.QuerySession();
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
