using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Ledger.Cli.Checks;

/// <summary>What a command finally got: a success, a refusal (with its problem type), or nothing definite before the deadline.</summary>
internal enum AnswerKind
{
    Success,
    Refused,
    None,
}

internal sealed record Answer(AnswerKind Kind, HttpStatusCode? Status, string? ProblemType, JsonElement? Body, int Retries, long CompletedAt);

/// <summary>
/// The API as the checker uses it: one admin token, JSON bodies, and for commands a retry of the same request (same
/// <c>Idempotency-Key</c> or <c>transferId</c>) on every answer that is not definite (503 and other 5xx, 408, 429, 409
/// idempotency-key-in-flight, a timeout, a broken connection), with backoff that honours <c>Retry-After</c>.
/// </summary>
internal sealed class BankHttp(HttpClient http, Uri api)
{
    /// <summary>Longer than the API's own command time limit (20 s), so that a slow command is answered by the API first.</summary>
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(25);

    private static readonly TimeSpan RetryAfterMax = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan BackoffFirst = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan BackoffMax = TimeSpan.FromSeconds(2);
    private const string InFlight = "/problems/idempotency-key-in-flight";

    /// <summary>Sends the request built by <paramref name="request"/> until the answer is definite or the monotonic <paramref name="deadline"/> passes.</summary>
    public async Task<Answer> SendAsync(Func<HttpRequestMessage> request, long deadline, Random random, CancellationToken cancellation)
    {
        for (var attempt = 0; ; attempt++)
        {
            var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
            if (remaining <= TimeSpan.Zero)
            {
                return new Answer(AnswerKind.None, null, null, null, Math.Max(0, attempt - 1), 0);
            }

            TimeSpan? retryAfter = null;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation))
            {
                timeout.CancelAfter(remaining < AttemptTimeout ? remaining : AttemptTimeout);
                try
                {
                    using var message = request();
                    using var response = await http.SendAsync(message, timeout.Token);
                    var text = await response.Content.ReadAsStringAsync(timeout.Token);
                    var body = text.Length > 0 && response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.Ordinal) == true
                        ? JsonDocument.Parse(text).RootElement.Clone()
                        : (JsonElement?)null;
                    var problemType = body is { ValueKind: JsonValueKind.Object } problem && problem.TryGetProperty("type", out var type)
                        ? type.GetString()
                        : null;
                    if (response.IsSuccessStatusCode)
                    {
                        return new Answer(AnswerKind.Success, response.StatusCode, null, body, attempt, Stopwatch.GetTimestamp());
                    }

                    if (!IsTransient(response.StatusCode, problemType))
                    {
                        return new Answer(AnswerKind.Refused, response.StatusCode, problemType, body, attempt, Stopwatch.GetTimestamp());
                    }

                    retryAfter = response.Headers.RetryAfter?.Delta;
                }
                catch (Exception failure) when (!cancellation.IsCancellationRequested
                                                && failure is HttpRequestException or OperationCanceledException or IOException or JsonException)
                {
                    // A timeout, a reset or a half-read body: the command may or may not have taken effect; the same request decides.
                }
            }

            await Task.Delay(Delay(attempt, retryAfter, random, deadline), cancellation);
        }
    }

    /// <summary>A read: one attempt, null on anything but a success.</summary>
    public async Task<(HttpStatusCode? Status, string? ProblemType, JsonElement? Body)> GetAsync(string path, CancellationToken cancellation)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(AttemptTimeout);
        try
        {
            using var response = await http.SendAsync(Request(HttpMethod.Get, path), timeout.Token);
            var text = await response.Content.ReadAsStringAsync(timeout.Token);
            var body = text.Length > 0 ? JsonDocument.Parse(text).RootElement.Clone() : (JsonElement?)null;
            var problemType = !response.IsSuccessStatusCode && body is { ValueKind: JsonValueKind.Object } problem
                              && problem.TryGetProperty("type", out var type) ? type.GetString() : null;
            return (response.StatusCode, problemType, response.IsSuccessStatusCode ? body : null);
        }
        catch (Exception failure) when (!cancellation.IsCancellationRequested
                                        && failure is HttpRequestException or OperationCanceledException or IOException or JsonException)
        {
            return (null, null, null);
        }
    }

    /// <summary>A read that must succeed: retried like a command until <paramref name="deadline"/>, then an exception.</summary>
    public async Task<JsonElement> GetRequiredAsync(string path, long deadline, Random random, CancellationToken cancellation)
    {
        var answer = await SendAsync(() => Request(HttpMethod.Get, path), deadline, random, cancellation);
        return answer is { Kind: AnswerKind.Success, Body: { } body }
            ? body
            : throw new BankCheckException($"GET {path} answered {Describe(answer)}");
    }

    public HttpRequestMessage Request(HttpMethod method, string path, object? body = null, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(method, new Uri(api, path));
        if (body is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body, JsonSerializerOptions.Web), Encoding.UTF8, "application/json");
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return request;
    }

    public static string Describe(Answer answer) => answer.Kind == AnswerKind.None
        ? "nothing definite in time"
        : $"{(int?)answer.Status} {answer.ProblemType}".TrimEnd();

    private static bool IsTransient(HttpStatusCode status, string? problemType) =>
        (int)status >= 500 || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests
        || (status == HttpStatusCode.Conflict && problemType == InFlight);

    private static TimeSpan Delay(int attempt, TimeSpan? retryAfter, Random random, long deadline)
    {
        var delay = retryAfter is { } asked
            ? (asked < RetryAfterMax ? asked : RetryAfterMax)
            : TimeSpan.FromTicks(Math.Min(BackoffMax.Ticks, BackoffFirst.Ticks << Math.Min(attempt, 10)));
        // Jitter, so that clients cut off together do not come back together.
        delay += TimeSpan.FromMilliseconds(random.Next(0, 50));
        var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
        return remaining <= TimeSpan.Zero ? TimeSpan.Zero : delay < remaining ? delay : remaining;
    }
}

/// <summary>The run could not go on (the set-up was refused, a final read never succeeded): an error, not a verdict.</summary>
internal sealed class BankCheckException(string message) : Exception(message);
