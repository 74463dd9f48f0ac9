using System.Text.Json;
using System.Text.RegularExpressions;
using Ledger.Testing;

namespace Ledger.Api.Tests.Http;

/// <summary>
/// What the HTTP tests share beyond the <see cref="Teller"/>: bad inputs as theory data, and checks of the bodies the API
/// promises (problems, timestamps).
/// </summary>
public static partial class ApiCases
{
    /// <summary>Amounts that are neither a JSON number nor a string holding a plain decimal.</summary>
    public static TheoryData<string> UnreadableAmounts => new()
    {
        "\"1e3\"", "\"1,000.00\"", "\" 12\"", "\"12 \"", "\"abc\"", "\"\"", "true", "null", "{}", "[]",
    };

    /// <summary>Readable amounts that are not greater than zero.</summary>
    public static TheoryData<string> NonPositiveAmounts => new() { "0", "\"0\"", "\"0.00\"", "-1", "\"-5\"", "-0.01" };

    /// <summary>If-Match values that are not one quoted positive version.</summary>
    public static TheoryData<string> MalformedIfMatches => new() { "garbage", "1", "\"abc\"", "\"0\"", "\"-1\"", "\"\"" };

    /// <summary>Asserts the RFC 9457 members every problem of this API carries.</summary>
    public static void ShouldBeCompleteProblem(this JsonElement problem, int status)
    {
        foreach (var member in new[] { "type", "title", "detail" })
        {
            problem.TryGetProperty(member, out var value).Should().BeTrue("every problem has '{0}'; got {1}", member, problem);
            value.ValueKind.Should().Be(JsonValueKind.String);
            value.GetString().Should().NotBeNullOrWhiteSpace();
        }

        problem.GetProperty("type").GetString().Should().StartWith("/problems/", "types are the API's stable problem URIs");
        problem.GetProperty("status").GetInt32().Should().Be(status);
    }

    /// <summary>RFC 3339 in UTC: a full date-time ending in Z or +00:00.</summary>
    public static void ShouldBeUtcTimestamp(this JsonElement value)
    {
        value.ValueKind.Should().Be(JsonValueKind.String);
        value.GetString().Should().MatchRegex(Rfc3339Utc().ToString());
        value.GetDateTimeOffset().Offset.Should().Be(TimeSpan.Zero);
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$", RegexOptions.CultureInvariant)]
    private static partial Regex Rfc3339Utc();
}

public static class AccountViewJson
{
    /// <summary>
    /// A read's account view without its <c>sequence</c>: command responses carry the stream version only (the global
    /// sequence is assigned while they commit), so this is what a command's response must equal.
    /// </summary>
    public static string WithoutSequence(this JsonElement view)
    {
        var copy = System.Text.Json.Nodes.JsonNode.Parse(view.GetRawText())!.AsObject();
        copy.Remove("sequence").Should().BeTrue("a read of an account reports the sequence it reflects");
        return copy.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }
}
