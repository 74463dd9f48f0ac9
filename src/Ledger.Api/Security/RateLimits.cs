using System.Globalization;
using System.Threading.RateLimiting;
using Ledger.Api.Infrastructure;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Ledger.Api.Security;

/// <summary>One fixed window: at most <see cref="PermitLimit"/> requests of one client in each <see cref="Window"/>.</summary>
public sealed class WindowLimit
{
    public int PermitLimit { get; set; }

    public TimeSpan Window { get; set; }

    public bool IsValid => PermitLimit > 0 && Window >= TimeSpan.FromSeconds(1) && Window <= TimeSpan.FromHours(24);
}

/// <summary>The <c>RateLimits</c> settings (docs/security.md); the defaults suit a teller counter, not a batch job.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    /// <summary>Opening accounts, deposits, withdrawals and transfers: ten a second on average, per client.</summary>
    public WindowLimit Commands { get; set; } = new() { PermitLimit = 600, Window = TimeSpan.FromMinutes(1) };

    /// <summary>Statements, the ledger-wide integrity walk and projection rebuilds: each reads or rewrites a great deal.</summary>
    public WindowLimit Expensive { get; set; } = new() { PermitLimit = 20, Window = TimeSpan.FromMinutes(1) };
}

/// <summary>
/// Per-client rate limits: a client is the token's subject (<c>sub</c>), or the remote address of a request without one, so
/// that one busy or hostile client cannot take the ledger from the others. A refused request is a 429 problem with
/// <c>Retry-After</c>, answered before the endpoint runs: it has no effect.
/// </summary>
public static class RateLimits
{
    /// <summary>The money commands (POST accounts, deposits, withdrawals, transfers).</summary>
    public const string Commands = "commands";

    /// <summary>Endpoints that read or rewrite much of the ledger.</summary>
    public const string Expensive = "expensive";

    public static IServiceCollection AddLedgerRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section)
            .Validate(options => options.Commands.IsValid && options.Expensive.IsValid,
                "RateLimits:Commands and RateLimits:Expensive each need a PermitLimit above 0 and a Window from 00:00:01 to 1.00:00:00.")
            .ValidateOnStart();
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(Commands, http => PerClient(http, options => options.Commands));
            limiter.AddPolicy(Expensive, http => PerClient(http, options => options.Expensive));
            limiter.OnRejected = RejectAsync;
        });
        return services;
    }

    public static string ClientOf(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        return http.User.FindFirst("sub")?.Value is { Length: > 0 } subject
            ? $"sub:{subject}"
            : $"ip:{http.Connection.RemoteIpAddress?.ToString() ?? "unknown"}";
    }

    private static RateLimitPartition<string> PerClient(HttpContext http, Func<RateLimitOptions, WindowLimit> pick)
    {
        var limit = pick(http.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value);
        return RateLimitPartition.GetFixedWindowLimiter(ClientOf(http), _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = limit.PermitLimit,
            Window = limit.Window,
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    private static async ValueTask RejectAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var http = context.HttpContext;
        var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? (int)Math.Ceiling(wait.TotalSeconds) : 1;
        seconds = Math.Max(1, seconds);
        http.Response.StatusCode = Problems.RateLimited.Status;
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = new ProblemDetails
            {
                Type = Problems.RateLimited.Type,
                Title = Problems.RateLimited.Title,
                Status = Problems.RateLimited.Status,
                Detail = $"This client has sent more requests of this kind than the ledger allows; nothing was done. Retry after {seconds} seconds.",
            },
        });
    }
}
