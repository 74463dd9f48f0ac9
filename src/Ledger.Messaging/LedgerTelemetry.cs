using Ledger.EventStore;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Ledger.Messaging;

/// <summary>
/// Traces and metrics of a ledger host, the same for the API and the workers (docs/operations.md, ADR-022):
/// <list type="bullet">
/// <item>Traces of HTTP requests (served and sent), PostgreSQL commands (Npgsql's own activity source), and the ledger's
/// sources given by the host; every span is recorded (parent-based, always on), so that the W3C context travels with
/// events and messages whether or not it is exported. They are exported over OTLP only when an endpoint is configured
/// (<see cref="OtlpEndpointVariable"/> or <see cref="OtlpEndpointSetting"/>); otherwise they end in the process.</item>
/// <item>Metrics of HTTP requests, the runtime, Npgsql's connection pools and commands, and the ledger's meters given by
/// the host, in Prometheus text format (the host maps the scraping endpoint).</item>
/// </list>
/// </summary>
public static class LedgerTelemetry
{
    /// <summary>The standard OpenTelemetry variable; when set, the exporter also reads the other <c>OTEL_EXPORTER_OTLP_*</c> variables.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The same as a setting (appsettings, <c>OpenTelemetry__OtlpEndpoint</c>), used when the variable is not set: an OTLP/gRPC URL.</summary>
    public const string OtlpEndpointSetting = "OpenTelemetry:OtlpEndpoint";

    /// <summary>Overrides the host's own service name (<c>ledger-api</c>, <c>ledger-workers</c>).</summary>
    public const string ServiceNameVariable = "OTEL_SERVICE_NAME";

    /// <summary>Npgsql's activity source and meter (built into Npgsql: no extra package).</summary>
    public const string NpgsqlName = "Npgsql";

    /// <summary>The .NET runtime's built-in meter: GC, working set, thread pool, exceptions.</summary>
    public const string RuntimeMeterName = "System.Runtime";

    /// <summary>Paths whose requests are not traced: health probes and scrapes, several a minute, tell nothing about the ledger.</summary>
    private static readonly PathString[] Untraced = [new("/health"), new("/metrics")];

    public static IServiceCollection AddLedgerTelemetry(this IServiceCollection services, IConfiguration configuration, string serviceName,
        IReadOnlyList<string> activitySources, IReadOnlyList<string> meters)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var endpoint = OtlpEndpoint(configuration);
        var fromVariable = !string.IsNullOrWhiteSpace(configuration[OtlpEndpointVariable]);
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName(configuration, serviceName)))
            .WithTracing(tracing =>
            {
                tracing
                    .SetSampler(new ParentBasedSampler(new AlwaysOnSampler()))
                    .AddAspNetCoreInstrumentation(options => options.Filter = http => !Untraced.Any(path => http.Request.Path.StartsWithSegments(path)))
                    .AddHttpClientInstrumentation()
                    .AddSource(NpgsqlName)
                    .AddSource([.. activitySources]);
                if (endpoint is not null)
                {
                    // From the variable, the exporter reads it (and OTEL_EXPORTER_OTLP_PROTOCOL, _HEADERS) itself, so an
                    // http/protobuf endpoint gets its /v1/traces path; the setting is taken as an OTLP/gRPC endpoint.
                    tracing.AddOtlpExporter(options =>
                    {
                        if (!fromVariable)
                        {
                            options.Endpoint = endpoint;
                            options.Protocol = OtlpExportProtocol.Grpc;
                        }
                    });
                }
            })
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddMeter(NpgsqlName, RuntimeMeterName)
                .AddMeter([.. meters])
                .AddPrometheusExporter());
        return services;
    }

    /// <summary>The OTLP endpoint, or null when traces are not exported. A malformed one fails the start with its setting named.</summary>
    public static Uri? OtlpEndpoint(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var (name, value) = configuration[OtlpEndpointVariable] is { } variable && !string.IsNullOrWhiteSpace(variable)
            ? (OtlpEndpointVariable, variable)
            : (OtlpEndpointSetting, configuration[OtlpEndpointSetting]);
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        return Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new StartupRefusedException($"{name} must be an absolute http(s) URL such as http://collector:4317, not '{value}'.");
    }

    public static string ServiceName(IConfiguration configuration, string defaultName)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return configuration[ServiceNameVariable] is { } name && !string.IsNullOrWhiteSpace(name) ? name.Trim() : defaultName;
    }
}
