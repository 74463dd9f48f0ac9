using Ledger.AuditLog;
using Ledger.Development;
using Ledger.Development.Kafka;
using Ledger.Development.Postgres;
using Ledger.Fraud;
using Ledger.Messaging;
using Ledger.Messaging.Consumers;
using Ledger.Messaging.Health;
using Ledger.Workers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

// Runs the consumers outside the API: `dotnet run --project src/Ledger.Workers` with Kafka:BootstrapServers and
// ConnectionStrings:Ledger (the same database as the API, whose endpoints read the consumers' schemas). In Development
// a missing connection string means the embedded PostgreSQL the API and `ledger` share, and a missing Kafka an embedded
// broker of its own (ADR-015); any other environment refuses to start without them.
// Beside the consumers they serve /health/live, /health/ready and /metrics, unauthenticated, on Workers:Urls (ADR-023).
var builder = WebApplication.CreateBuilder(args);
builder.WebHost.UseUrls(WorkersHttp.Urls(builder.Configuration));
using var bootstrapLoggers = LoggerFactory.Create(logging => logging.AddConfiguration(builder.Configuration.GetSection("Logging")).AddConsole());
var infrastructure = EmbeddedInfrastructure.For(builder.Configuration, builder.Environment.EnvironmentName);
EmbeddedPostgres? embedded;
EmbeddedKafka? embeddedKafka;
string connectionString;
KafkaConnection kafka;
try
{
    var kafkaOptions = KafkaOptions.Read(builder.Configuration);
    // This process is the consumers, whatever Kafka:ConsumersEnabled says for the API: it always needs Kafka.
    kafkaOptions.ConsumersEnabled = true;
    infrastructure.RequireSettings(builder.Configuration, kafkaOptions);
    (connectionString, embedded) = DatabaseBootstrap.Resolve(builder.Configuration, infrastructure, bootstrapLoggers);
    (kafka, embeddedKafka) = KafkaBootstrap.Resolve(kafkaOptions, infrastructure, bootstrapLoggers.CreateLogger("Ledger.Kafka"));
    LedgerTelemetry.OtlpEndpoint(builder.Configuration);
}
catch (Exception refused) when (StartupFailure.Describe(refused, typeof(Program).Assembly) is { } message)
{
    return await StartupFailure.ReportAsync(message);
}

using var ownedPostgres = embedded;
using var ownedKafka = embeddedKafka;
var services = builder.Services;
services.AddSingleton(kafka);
services.AddKafkaOptions();
services.AddHostedService<TopicProvisioner>();
services.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));
services.AddSingleton(TimeProvider.System);
services.AddHostedService(provider => new ConsumerSchemaOnStart(provider.GetRequiredService<NpgsqlDataSource>(), infrastructure.ApplySchemaOnStart));
if (builder.Configuration.GetValue("Workers:Audit", defaultValue: true))
{
    services.AddAuditConsumer();
}

if (builder.Configuration.GetValue("Workers:Fraud", defaultValue: true))
{
    services.AddFraudConsumer(builder.Configuration);
}

// Readiness: PostgreSQL and the consumers' tables (Unhealthy: the consumers cannot work), Kafka (Degraded: they wait for it).
services.AddOptions<HealthOptions>().BindConfiguration(HealthOptions.Section)
    .Validate(HealthOptions.AreValid, "Health:KafkaTimeout must be positive and the cache times not negative.").ValidateOnStart();
services.AddSingleton<KafkaHealthCheck>();
services.AddHealthChecks()
    .AddCheck<PostgresHealthCheck>("postgres", tags: [HealthEndpoints.ReadyTag], timeout: WorkersHttp.CheckTimeout)
    .AddCheck<ConsumerTablesHealthCheck>("consumer-tables", tags: [HealthEndpoints.ReadyTag], timeout: WorkersHttp.CheckTimeout)
    .AddCheck<KafkaHealthCheck>("kafka", HealthStatus.Degraded, tags: [HealthEndpoints.ReadyTag], timeout: WorkersHttp.CheckTimeout);
services.AddLedgerTelemetry(builder.Configuration, "ledger-workers", [ConsumerLoop.ActivitySourceName, FraudConsumer.TelemetryName],
    [ConsumerLoop.MeterName, FraudConsumer.TelemetryName]);

try
{
    var app = builder.Build();
    HealthEndpoints.Map(app);
    app.MapPrometheusScrapingEndpoint();
    app.Lifetime.ApplicationStarted.Register(() => WorkersHttp.PrintAddresses(app));
    await app.RunAsync();
}
catch (Exception refused) when (StartupFailure.Describe(refused, typeof(Program).Assembly) is { } message)
{
    return await StartupFailure.ReportAsync(message);
}

return 0;
