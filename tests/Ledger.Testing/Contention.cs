using System.Net;
using System.Text.Json;
using FluentAssertions;

namespace Ledger.Testing;

/// <summary>
/// What must hold of requests sent all at once, however loaded the machine: each answer is one the test expects, or a
/// 503 "busy" that recorded nothing and says when to come back; a client that comes back with the same request (same
/// <c>Idempotency-Key</c> or <c>transferId</c>) gets a definite answer. How many busy answers there are depends on how
/// fast the machine is, so no test bounds their number: that is the benchmark's business. A test that demanded "no 503"
/// or "few 503s" would fail whenever the machine is slow, which tells nothing about the ledger.
/// </summary>
public static class Contention
{
    public const string BusyType = "/problems/busy";

    private static readonly TimeSpan RetryPauseMax = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Sends <paramref name="request"/> (a new message each time, the same command) until the answer is one of
    /// <paramref name="expected"/>, asserting that every other answer is a well-formed busy problem. Returns the final
    /// answer and the number of busy answers before it; fails after <paramref name="limit"/> (default
    /// <see cref="Eventually.Patience"/>).
    /// </summary>
    public static async Task<(HttpResponseMessage Answer, int Busy)> SendUntilAnsweredAsync(HttpClient http, Func<HttpRequestMessage> request,
        IReadOnlyCollection<HttpStatusCode> expected, TimeSpan? limit = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(expected);
        var deadline = DateTimeOffset.UtcNow + (limit ?? Eventually.Patience);
        for (var busy = 0; ; busy++)
        {
            using var message = request();
            var response = await http.SendAsync(message);
            if (expected.Contains(response.StatusCode))
            {
                return (response, busy);
            }

            await ShouldBeExpectedOrBusyAsync(response, expected);
            var pause = response.Headers.RetryAfter?.Delta is { } asked && asked < RetryPauseMax ? asked : RetryPauseMax;
            response.Dispose();
            DateTimeOffset.UtcNow.Should().BeBefore(deadline, "a busy ledger answers a retried command within {0}", limit ?? Eventually.Patience);
            await Task.Delay(pause + TimeSpan.FromMilliseconds(Random.Shared.Next(0, 50)));
        }
    }

    /// <summary>One response: an expected status, or a busy problem that says after how many seconds to retry.</summary>
    public static async Task ShouldBeExpectedOrBusyAsync(HttpResponseMessage response, IReadOnlyCollection<HttpStatusCode> expected)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(expected);
        if (expected.Contains(response.StatusCode))
        {
            return;
        }

        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable, "expected one of {0} or a busy 503; the body was {1}",
            string.Join(", ", expected), body);
        JsonDocument.Parse(body).RootElement.GetProperty("type").GetString().Should().Be(BusyType, "the body was {0}", body);
        response.Headers.RetryAfter?.Delta.Should().NotBeNull("a 503 tells the client after how many seconds to come back")
            .And.BePositive();
    }
}
