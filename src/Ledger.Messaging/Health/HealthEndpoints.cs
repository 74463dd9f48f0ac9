using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Ledger.Messaging.Health;

/// <summary>
/// <c>/health/live</c> (the process serves HTTP; no check runs) and <c>/health/ready</c> (every check tagged
/// <see cref="ReadyTag"/>), anonymous, answering JSON that names each check with its status; the same for the API and the
/// workers (docs/operations.md, Health).
/// </summary>
public static class HealthEndpoints
{
    public const string ReadyTag = "ready";

    public static void Map(IEndpointRouteBuilder endpoints, string readyTag = ReadyTag)
    {
        endpoints.MapHealthChecks("/health/live", new() { Predicate = _ => false, ResponseWriter = WriteAsync }).AllowAnonymous();
        endpoints.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains(readyTag), ResponseWriter = WriteAsync })
            .AllowAnonymous();
    }

    /// <summary><c>{"status":…,"totalDurationMs":…,"checks":[{"name","status","description","durationMs","error"?,"data"?}]}</c>.</summary>
    public static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(report);
        context.Response.ContentType = "application/json; charset=utf-8";
        // Written to memory first: the response body takes no synchronous writes.
        var buffer = new ArrayBufferWriter<byte>();
        await using (var json = new Utf8JsonWriter(buffer))
        {
            Write(json, report);
        }

        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }

    private static void Write(Utf8JsonWriter json, HealthReport report)
    {
        json.WriteStartObject();
        json.WriteString("status", report.Status.ToString());
        json.WriteNumber("totalDurationMs", Math.Round(report.TotalDuration.TotalMilliseconds, 1));
        json.WriteStartArray("checks");
        foreach (var (name, entry) in report.Entries)
        {
            json.WriteStartObject();
            json.WriteString("name", name);
            json.WriteString("status", entry.Status.ToString());
            json.WriteString("description", entry.Description);
            json.WriteNumber("durationMs", Math.Round(entry.Duration.TotalMilliseconds, 1));
            if (entry.Exception is { } exception)
            {
                // The message only: a stack trace on an anonymous endpoint would tell strangers about the internals.
                json.WriteString("error", exception.Message);
            }

            if (entry.Data.Count > 0)
            {
                json.WriteStartObject("data");
                foreach (var (key, value) in entry.Data)
                {
                    json.WritePropertyName(key);
                    JsonSerializer.Serialize(json, value, value.GetType());
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }
}
