using System.Net;
using System.Text.Json;
using FluentAssertions;

namespace Ledger.Testing;

/// <summary>
/// What must hold of requests sent all at once, however loaded the machine: each answer is one the test expects, or a
/// 503 "busy" that recorded nothing and says when to come back; and the busy answers are few. A test that demanded "no 503"
/// would fail whenever the machine is slow, which tells nothing about the ledger.
/// </summary>
public static class Contention
{
    public const string BusyType = "/problems/busy";

    /// <summary>
    /// Asserts every response is one of <paramref name="expected"/> or a busy problem with <c>Retry-After</c>, and at most
    /// <paramref name="busyMax"/> are busy. Returns the statuses, in order, for the test's own sums.
    /// </summary>
    public static async Task<IReadOnlyList<HttpStatusCode>> ShouldBeAnsweredAsync(
        IReadOnlyList<HttpResponseMessage> responses, IReadOnlyCollection<HttpStatusCode> expected, int busyMax)
    {
        ArgumentNullException.ThrowIfNull(responses);
        ArgumentNullException.ThrowIfNull(expected);
        foreach (var response in responses)
        {
            await ShouldBeExpectedOrBusyAsync(response, expected);
        }

        var statuses = responses.Select(response => response.StatusCode).ToList();
        statuses.Count(status => status == HttpStatusCode.ServiceUnavailable).Should().BeLessThanOrEqualTo(busyMax,
            "busy answers under contention must stay the exception, not the rule");
        return statuses;
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
