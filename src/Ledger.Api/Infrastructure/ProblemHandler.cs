using System.Text.Json;
using FluentValidation;
using Ledger.Api.Security;
using Ledger.Domain;
using Ledger.Domain.Accounts;
using Marten.Exceptions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace Ledger.Api.Infrastructure;

/// <summary>
/// Turns every failure into an RFC 9457 problem: malformed input 400, business rejections 422 (each its own type),
/// expected outcomes (404, 409, 412) as raised, an overloaded or unreachable database 503 (counted, not logged one by one),
/// and anything else a logged 500.
/// </summary>
public sealed class ProblemHandler(IProblemDetailsService problemDetails, ILogger<ProblemHandler> logger, UnavailableLog unavailable)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var problem = Describe(exception);
        if (problem.Status == StatusCodes.Status503ServiceUnavailable)
        {
            unavailable.Record(problem.Type!, exception);
        }
        else if (problem.Status >= 500)
        {
            logger.LogError(exception, "Request {Method} {Path} failed", httpContext.Request.Method, httpContext.Request.Path);
        }

        httpContext.Response.StatusCode = problem.Status ?? 500;
        if (Problems.Find(problem.Type)?.RetryAfterSeconds is { } retryAfter)
        {
            httpContext.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = problem,
            Exception = exception,
        });
    }

    /// <summary>
    /// Gives the bodiless answers of the framework (no route 404, 405, 413 from Kestrel, 415) our problem types and a detail, so that every
    /// error the API returns has the same shape.
    /// </summary>
    public static void DescribeStatusOnly(ProblemDetailsContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var problem = context.ProblemDetails;
        if (problem.Type is not null && problem.Type.StartsWith("/problems/", StringComparison.Ordinal))
        {
            return;
        }

        var kind = problem.Status switch
        {
            401 => Problems.Unauthenticated,
            403 => Problems.Forbidden,
            404 => Problems.NotFound,
            405 => Problems.MethodNotAllowed,
            413 => Problems.PayloadTooLarge,
            415 => Problems.UnsupportedMediaType,
            _ => null,
        };
        if (kind is not null)
        {
            problem.Type = kind.Type;
            problem.Title = kind.Title;
            problem.Detail ??= kind.Status switch
            {
                415 => "Send the body as application/json.",
                413 => $"Send at most {RequestLimits.BodyBytesMax} bytes.",
                401 => "Send 'Authorization: Bearer <token>' with a token the ledger trusts; in Development, `ledger token --role <role>` prints one.",
                403 => Access.DescribeRefusal(context.HttpContext),
                _ => $"{context.HttpContext.Request.Method} {context.HttpContext.Request.Path}: {kind.Title}",
            };
        }
    }

    public static ProblemDetails Describe(Exception exception) => exception switch
    {
        ValidationException validation => Validation(validation),
        BadHttpRequestException { InnerException: JsonException json } => Malformed(json),
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } tooLarge => From(Problems.PayloadTooLarge, tooLarge.Message),
        BadHttpRequestException { StatusCode: StatusCodes.Status415UnsupportedMediaType } => From(Problems.UnsupportedMediaType, "Send the body as application/json in UTF-8."),
        BadHttpRequestException bad => From(Problems.MalformedRequest with { Status = bad.StatusCode }, bad.Message),
        ProblemException known => From(known.Kind, known.Message),
        Rejection rejection => From(KindOf(rejection), rejection.Message),
        StreamLockedException => From(Problems.Busy, "An account involved is locked by other work for longer than the wait limit."),
        _ when DatabaseAvailability.IsUnavailable(exception) =>
            From(Problems.DatabaseUnavailable, "The database cannot be reached or is restarting; nothing was recorded by this request."),
        _ when IsLockConflict(exception) => From(Problems.Busy,
            "The transaction met a lock conflict (a deadlock or a lock timeout) and was rolled back; nothing was changed, retry it."),
        _ when IsTimeout(exception) => From(Problems.Busy, "The database did not answer within the time limit."),
        _ => From(Problems.Internal, "The server failed to process the request; it has been logged."),
    };

    /// <summary>Lock waits and pool exhaustion surface as a TimeoutException somewhere in the chain.</summary>
    private static bool IsTimeout(Exception exception) => ExceptionChain.Of(exception).Any(current => current is TimeoutException);

    /// <summary>PostgreSQL rolled the transaction back to resolve a lock conflict (40P01, 55P03): nothing was written.</summary>
    private static bool IsLockConflict(Exception exception) =>
        ExceptionChain.HasSqlState(exception, PostgresErrorCodes.DeadlockDetected) || ExceptionChain.HasSqlState(exception, PostgresErrorCodes.LockNotAvailable);

    private static ProblemKind KindOf(Rejection rejection) => rejection switch
    {
        InsufficientFunds => Problems.InsufficientFunds,
        CurrencyMismatch => Problems.CurrencyMismatch,
        SameAccount => Problems.SameAccount,
        AccountIsFrozen => Problems.AccountFrozen,
        AccountIsClosed => Problems.AccountClosed,
        AccountStatusUnchanged => Problems.AccountStatusUnchanged,
        AccountNotSettled => Problems.AccountNotSettled,
        HoldNotOpen => Problems.HoldNotOpen,
        HoldExpired => Problems.HoldExpired,
        HoldNotExpired => Problems.HoldNotExpired,
        CaptureOutOfRange => Problems.CaptureOutOfRange,
        HoldExpiryNotInFuture => Problems.ExpiryNotInFuture,
        WrongHoldKind => Problems.WrongHoldKind,
        SelfApproval => Problems.SelfApproval,
        AmountOutOfRange => Problems.AmountOutOfRange,
        BalanceOutOfRange => Problems.BalanceOutOfRange,
        _ => throw new InvariantViolationException($"Rejection {rejection.GetType().Name} has no problem type."),
    };

    private static ProblemDetails From(ProblemKind kind, string detail) =>
        new() { Type = kind.Type, Title = kind.Title, Status = kind.Status, Detail = detail };

    private static ValidationProblemDetails Validation(ValidationException validation)
    {
        var errors = validation.Errors
            .GroupBy(failure => FieldName(failure.PropertyName))
            .ToDictionary(group => group.Key, group => group.Select(failure => failure.ErrorMessage).Distinct().ToArray());
        return new ValidationProblemDetails(errors)
        {
            Type = Problems.Validation.Type,
            Title = Problems.Validation.Title,
            Status = Problems.Validation.Status,
            Detail = "One or more fields are invalid; see errors.",
        };
    }

    private static ValidationProblemDetails Malformed(JsonException json)
    {
        var field = FieldName(json.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : "body");
        var message = json.Message.Contains("could not be mapped", StringComparison.Ordinal)
            ? $"'{field}' is not a field of this request."
            : json.Path is null or "$" ? "The body is not valid JSON." : $"'{field}' has a value of the wrong type or format.";
        return new ValidationProblemDetails(new Dictionary<string, string[]> { [field] = [message] })
        {
            Type = Problems.MalformedRequest.Type,
            Title = Problems.MalformedRequest.Title,
            Status = Problems.MalformedRequest.Status,
            Detail = "The body could not be read as the expected JSON; see errors.",
        };
    }

    /// <summary>Error keys follow the JSON field names (camelCase); headers keep their own names.</summary>
    private static string FieldName(string name) =>
        name.Length == 0 || name.Contains('-', StringComparison.Ordinal) ? (name.Length == 0 ? "body" : name) : JsonNamingPolicy.CamelCase.ConvertName(name);
}
