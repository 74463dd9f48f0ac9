using System.Net;
using System.Text.Json;

namespace Ledger.Bench.Compare;

/// <summary>How a command ended: committed (2xx), refused with a definite answer, or still transient after every attempt.</summary>
internal enum CommandOutcome
{
    Committed,
    Refused,
    GaveUp,
}

/// <param name="Status">The last HTTP status, 0 when the last attempt got none (a timeout or a broken connection).</param>
internal readonly record struct CommandAnswer(CommandOutcome Outcome, int Status, string? ProblemType, int Retries)
{
    public string Describe() => Status == 0 ? ProblemType ?? "no answer" : $"{Status} {ProblemType}".TrimEnd();
}

/// <summary>
/// The API as the load generator uses it: one <see cref="HttpClient"/> over a <see cref="SocketsHttpHandler"/> with a
/// connection per concurrent client, a bearer token on every request, and for commands a retry of the same request on every
/// transient answer (5xx, 408, 429, 409 idempotency-key-in-flight, a timeout, a broken connection). A retry of a transfer
/// carries the same transferId, and of a deposit the same Idempotency-Key, so a retried command takes effect once.
/// </summary>
internal sealed class LedgerClient : IDisposable
{
    /// <summary>Attempts of one command before it counts as given up.</summary>
    public const int AttemptsMax = 20;

    /// <summary>Longer than the API's own command time limit (20 s), so that a slow command is answered by the API first.</summary>
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan BackoffFirst = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan BackoffMax = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan RetryAfterMax = TimeSpan.FromSeconds(1);
    private const string InFlight = "/problems/idempotency-key-in-flight";
    private const int ConnectionsMax = 1_024;

    private readonly HttpClient _http;

    public LedgerClient(Uri address)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = ConnectionsMax,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
            UseCookies = false,
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        _http = new HttpClient(handler) { BaseAddress = address, Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>
    /// POSTs <paramref name="length"/> bytes of <paramref name="body"/> (JSON) until the answer is definite or
    /// <see cref="AttemptsMax"/> attempts are spent; every transient answer is counted in <paramref name="transient"/>.
    /// <paramref name="drain"/> is the caller's scratch buffer for reading a success's body, which is not kept.
    /// </summary>
    public async Task<CommandAnswer> PostAsync(string path, byte[] body, int length, string authorization, string? idempotencyKey,
        Tally transient, byte[] drain, Random random, CancellationToken cancellation)
    {
        var (status, problemType) = (0, (string?)null);
        for (var attempt = 0; attempt < AttemptsMax; attempt++)
        {
            TimeSpan? retryAfter = null;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation))
            {
                timeout.CancelAfter(AttemptTimeout);
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body, 0, length) };
                    request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
                    request.Headers.TryAddWithoutValidation("Authorization", authorization);
                    if (idempotencyKey is not null)
                    {
                        request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
                    }

                    using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                    status = (int)response.StatusCode;
                    if (response.IsSuccessStatusCode)
                    {
                        await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
                        while (await stream.ReadAsync(drain, timeout.Token) > 0)
                        {
                        }

                        return new CommandAnswer(CommandOutcome.Committed, status, null, attempt);
                    }

                    problemType = ProblemType(await response.Content.ReadAsStringAsync(timeout.Token));
                    if (!IsTransient(response.StatusCode, problemType))
                    {
                        return new CommandAnswer(CommandOutcome.Refused, status, problemType, attempt);
                    }

                    retryAfter = response.Headers.RetryAfter?.Delta;
                }
                catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
                {
                    (status, problemType) = (0, "timeout");
                }
                catch (HttpRequestException failure)
                {
                    (status, problemType) = (0, $"connection: {failure.HttpRequestError}");
                }
            }

            transient.Add(new CommandAnswer(CommandOutcome.GaveUp, status, problemType, attempt).Describe());
            await Task.Delay(Backoff(attempt, retryAfter, random), cancellation);
        }

        return new CommandAnswer(CommandOutcome.GaveUp, status, problemType, AttemptsMax - 1);
    }

    /// <summary>One request whose JSON answer is wanted (set-up, status polls, reads); the body is serialized when given.</summary>
    public async Task<(HttpStatusCode Status, JsonElement? Body)> SendAsync(HttpMethod method, string path, string authorization,
        object? body, CancellationToken cancellation)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, JsonSerializerOptions.Web));
            request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(AttemptTimeout);
        using var response = await _http.SendAsync(request, timeout.Token);
        var text = await response.Content.ReadAsStringAsync(timeout.Token);
        return (response.StatusCode, text.Length > 0 ? JsonDocument.Parse(text).RootElement.Clone() : null);
    }

    /// <summary>A GET whose body is read whole and returned as bytes, for reads that are timed.</summary>
    public async Task<(HttpStatusCode Status, byte[] Body)> GetBytesAsync(string path, string authorization, CancellationToken cancellation)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(AttemptTimeout);
        using var response = await _http.SendAsync(request, timeout.Token);
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync(timeout.Token));
    }

    public void Dispose() => _http.Dispose();

    private static bool IsTransient(HttpStatusCode status, string? problemType) =>
        (int)status >= 500 || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests
        || (status == HttpStatusCode.Conflict && problemType == InFlight);

    private static string? ProblemType(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("type", out var type)
                ? type.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static TimeSpan Backoff(int attempt, TimeSpan? retryAfter, Random random)
    {
        var delay = retryAfter is { } asked
            ? (asked < RetryAfterMax ? asked : RetryAfterMax)
            : TimeSpan.FromTicks(Math.Min(BackoffMax.Ticks, BackoffFirst.Ticks << Math.Min(attempt, 10)));
        // Jitter, so that clients turned away together do not come back together.
        return delay + TimeSpan.FromMilliseconds(random.Next(0, 5));
    }
}
