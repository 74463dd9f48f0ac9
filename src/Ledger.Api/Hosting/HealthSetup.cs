using System.Buffers;
using System.Text.Json;
using Ledger.Messaging;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Ledger.Api.Hosting;

/// <summary>
/// Liveness says the process serves HTTP. Readiness checks PostgreSQL and the schema (Unhealthy: 503, take the node out
/// of rotation), and Kafka, the relay's lag and consumer gaps (Degraded: 200, the ledger still takes commands) when the
/// relay or consumers run here. Both answer JSON naming each check with its status (docs/operations.md, Health).
/// </summary>
public static class HealthSetup
{
    public const string Ready = "ready";

    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);

    public static void AddLedgerHealthChecks(this IServiceCollection services, KafkaOptions kafka)
    {
        ArgumentNullException.ThrowIfNull(kafka);
        services.AddOptions<HealthOptions>().BindConfiguration(HealthOptions.Section)
            .Validate(HealthOptions.AreValid, "Health:RelayLagMax must not be negative, Health:KafkaTimeout must be positive and the cache times not negative.")
            .ValidateOnStart();
        // Singletons, so that the cached answers and the Kafka client live as long as the host.
        services.AddSingleton<SchemaHealthCheck>();
        var checks = services.AddHealthChecks()
            .AddCheck<PostgresHealthCheck>("postgres", tags: [Ready], timeout: CheckTimeout)
            .AddCheck<SchemaHealthCheck>("schema", tags: [Ready], timeout: CheckTimeout)
            .AddCheck<ConsumerGapsHealthCheck>("consumer-gaps", HealthStatus.Degraded, tags: [Ready], timeout: CheckTimeout);
        if (kafka.RelayEnabled || kafka.ConsumersEnabled)
        {
            services.AddSingleton<KafkaHealthCheck>();
            checks.AddCheck<KafkaHealthCheck>("kafka", HealthStatus.Degraded, tags: [Ready], timeout: CheckTimeout);
        }

        if (kafka.RelayEnabled)
        {
            checks.AddCheck<RelayLagHealthCheck>("relay-lag", HealthStatus.Degraded, tags: [Ready], timeout: CheckTimeout);
        }
    }

    public static void MapLedgerHealthChecks(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/health/live", new() { Predicate = _ => false, ResponseWriter = WriteAsync }).AllowAnonymous();
        endpoints.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains(Ready), ResponseWriter = WriteAsync })
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
