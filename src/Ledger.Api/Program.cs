using System.Text.Json;
using System.Text.Json.Serialization;
using FluentValidation;
using Ledger.Api.Accounts;
using Ledger.Api.Approvals;
using Ledger.Api.Holds;
using Ledger.Api.Audit;
using Ledger.Api.Hosting;
using Ledger.Api.Infrastructure;
using Ledger.Api.AuditLog;
using Ledger.Api.Consumers;
using Ledger.Api.Fraud;
using Ledger.Api.Operations;
using Ledger.Api.Projections;
using Ledger.Api.Reports;
using Ledger.Api.Security;
using Ledger.Api.Transfers;
using Ledger.AuditLog;
using Ledger.Development;
using Ledger.Development.Kafka;
using Ledger.Development.Postgres;
using Ledger.EventStore;
using Ledger.EventStore.Audit;
using Ledger.EventStore.Projections;
using Ledger.EventStore.Reports;
using Ledger.Fraud;
using Ledger.Messaging;
using Ledger.Messaging.Consumers;
using Ledger.Messaging.Relay;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Marten;
using Microsoft.Extensions.Options;
using Npgsql;

// Settings ship beside the binary, so the API starts the same from any working directory; relative paths in them (the
// embedded PostgreSQL folder) are relative to where it is started, which `ledger` and the workers share (ADR-007).
var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    ContentRootPath = HostPaths.ContentRoot(args),
});

// Embedded PostgreSQL and Kafka start before the host is built and log for as long as the process runs.
using var bootstrapLoggers = LoggerFactory.Create(logging => logging.AddConfiguration(builder.Configuration.GetSection("Logging")).AddConsole());

// Embedded PostgreSQL and Kafka stand in for missing settings only in Development or with Ledger:Embedded (ADR-015).
var infrastructure = EmbeddedInfrastructure.For(builder.Configuration, builder.Environment.EnvironmentName);
EmbeddedPostgres? embedded;
string connectionString;
KafkaOptions kafkaOptions;
KafkaConnection kafka;
EmbeddedKafka? embeddedKafka;
CheckpointSeal? checkpointSeal;
try
{
    // Who may call the API is settled first: a start that would trust forged tokens, or none, goes no further.
    AuthSetup.Check(AuthSetup.Read(builder.Configuration), builder.Environment);
    kafkaOptions = KafkaOptions.Read(builder.Configuration);
    // Every missing setting in one message, before anything is started.
    infrastructure.RequireSettings(builder.Configuration, kafkaOptions);
    (connectionString, embedded) = DatabaseBootstrap.Resolve(builder.Configuration, infrastructure, bootstrapLoggers);
    (kafkaOptions, kafka, embeddedKafka) = MessagingSetup.Resolve(builder.Configuration, infrastructure, bootstrapLoggers);
    // Seals the integrity checkpoints (docs/audit.md); without a key every ledger-wide integrity check runs in full.
    checkpointSeal = CheckpointSeal.FromSetting(builder.Configuration[CheckpointSeal.Setting]);
    // A malformed OTLP endpoint is refused here, with its setting named, rather than when the first span is exported.
    LedgerTelemetry.OtlpEndpoint(builder.Configuration);
}
catch (Exception refused) when (StartupFailure.Describe(refused, typeof(Program).Assembly) is { } message)
{
    return await StartupFailure.ReportAsync(message);
}

using var ownedPostgres = embedded;
using var ownedKafka = embeddedKafka;
var services = builder.Services;

services.AddLedgerAuth(builder.Configuration);
services.AddLedgerRateLimits();

// Teller requests are small; anything near this size is a mistake or an attack.
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = RequestLimits.BodyBytesMax);

// The read models this host keeps, lists and rebuilds (ADR-013); the store is configured from the same catalogue.
services.TryAddSingleton(ProjectionCatalog.Ledger);
services.AddMarten(provider =>
    {
        var options = new StoreOptions();
        LedgerStore.Configure(options, connectionString, provider.GetRequiredService<ProjectionCatalog>());
        MessagingStore.Configure(options);
        FraudStore.Configure(options);
        AuditLogStore.Configure(options);
        return options;
    })
    .UseLightweightSessions()
    .ApplySchemaOrCheckIt(services, infrastructure.ApplySchemaOnStart)
    .AddRelay(services, kafka, kafkaOptions);
services.AddSingleton(_ => NpgsqlDataSource.Create(LedgerStore.Tuned(connectionString)));
services.AddSingleton(TimeProvider.System);
services.AddSingleton<UnavailableLog>();
if (embedded is not null)
{
    // Development mode: the API owns its database server and brings it back if it dies.
    services.AddSingleton(embedded);
    services.AddHostedService<EmbeddedPostgresWatchdog>();
}
services.AddSingleton(provider => provider.GetRequiredService<IDocumentStore>().Options.Serializer());
services.AddSingleton<ProjectionRebuilder>();
services.AddSingleton<RebuildJournal>();
services.AddSingleton<ProjectionRebuilds>();
services.AddSingleton<AsyncProjectionRunner>();
services.AddSingleton<ReportQueries>();
services.AddSingleton<NodeLeadership>();
services.AddSingleton<RelayLagGauge>();
if (builder.Configuration.GetValue("Projections:RunAsync", defaultValue: true))
{
    services.AddHostedService<AsyncProjectionsService>();
}
services.AddConsumers(builder.Configuration, kafkaOptions);

services.AddMediator(options =>
{
    options.ServiceLifetime = ServiceLifetime.Scoped;
    options.PipelineBehaviors = [typeof(ValidationBehavior<,>), typeof(TimeLimitBehavior<,>)];
});
services.AddValidatorsFromAssemblyContaining<Program>(ServiceLifetime.Singleton);
ValidatorOptions.Global.DisplayNameResolver = (_, member, _) => member is null ? null : JsonNamingPolicy.CamelCase.ConvertName(member.Name);
ValidatorOptions.Global.PropertyNameResolver = (_, member, _) => member is null ? null : JsonNamingPolicy.CamelCase.ConvertName(member.Name);

services.AddHttpContextAccessor();
services.AddScoped<RequestContext>();
services.AddScoped<LedgerSessions>();
services.AddScoped<IdempotencyScope>();
services.AddScoped<CommandCommit>();
services.AddScoped<NaturalKeyWrite>();
services.AddScoped<AccountMovement>();
services.AddScoped<AccountStatusChange>();
services.AddScoped<HoldWriter>();
services.AddScoped<FourEyes>();
services.AddOptions<ApprovalOptions>().BindConfiguration(ApprovalOptions.Section).ValidateOnStart();
services.AddSingleton<IValidateOptions<ApprovalOptions>, ApprovalOptionsValidator>();
services.AddScoped<AccountWriter>();
services.AddSingleton<GroupCommit>();
services.AddHostedService(provider => provider.GetRequiredService<GroupCommit>());
// After the group commit: it stops before the group commit does, so its last releases are still written.
services.AddOptions<HoldExpiryOptions>().BindConfiguration(HoldExpiryOptions.Section).ValidateOnStart();
services.AddSingleton<IValidateOptions<HoldExpiryOptions>, HoldExpiryOptionsValidator>();
services.AddHostedService<HoldExpiryService>();
services.AddOptions<GroupCommitOptions>().BindConfiguration(GroupCommitOptions.Section).ValidateOnStart();
services.AddSingleton<IValidateOptions<GroupCommitOptions>, GroupCommitOptionsValidator>();
services.AddSingleton<IdempotencyStore>();
services.AddSingleton<AuditQueries>();
services.AddSingleton(provider => new IntegrityVerifier(provider.GetRequiredService<NpgsqlDataSource>(), checkpointSeal,
    provider.GetRequiredService<TimeProvider>()));
services.AddOptions<IdempotencyOptions>().BindConfiguration(IdempotencyOptions.Section)
    .Validate(options => options.Retention >= TimeSpan.FromHours(24), "Idempotency:Retention must be at least 24 hours.")
    .ValidateOnStart();
services.AddOptions<CommandOptions>().BindConfiguration(CommandOptions.Section)
    .Validate<IOptions<IdempotencyOptions>>((commands, idempotency) => CommandOptions.FitsTheLease(commands, idempotency.Value),
        "Commands:TimeLimit must be positive and at most half of Idempotency:Lease, so that a command ends while it holds its key.")
    .ValidateOnStart();
services.AddHostedService<IdempotencyJanitor>();

services.ConfigureHttpJsonOptions(options =>
{
    options.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
    options.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
    options.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
    // {"amount":"1.00","Amount":"2.00"} is ambiguous: refuse it rather than let the last one win.
    options.SerializerOptions.AllowDuplicateProperties = false;
    // Command bodies are flat; a deeply nested body is an attack on the reader, refused as malformed (400).
    options.SerializerOptions.MaxDepth = RequestLimits.JsonDepthMax;
});
// Binding failures (malformed JSON, a non-UUID id) throw so that ProblemHandler answers them with field errors.
services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
services.AddProblemDetails(options => options.CustomizeProblemDetails = ProblemHandler.DescribeStatusOnly);
services.AddExceptionHandler<ProblemHandler>();
services.AddLedgerHealthChecks(kafkaOptions);
// Traces (requests, PostgreSQL, group commits, the relay's and the consumers' messages; OTLP when configured) and metrics
// (HTTP, runtime, Npgsql, relay, consumers, fraud, leadership) in Prometheus text format at /metrics (docs/operations.md).
services.AddLedgerTelemetry(builder.Configuration, "ledger-api",
    [GroupCommit.ActivitySourceName, RelayTracing.SourceName, ConsumerLoop.ActivitySourceName, FraudConsumer.TelemetryName],
    [RelayMetrics.MeterName, ConsumerLoop.MeterName, NodeLeadership.MeterName, FraudConsumer.TelemetryName]);
services.AddEndpointsApiExplorer();
services.AddSwaggerGen(OpenApiSetup.Configure);

var app = builder.Build();
// Observable gauges report only while their owner lives: created with the host, not on first use.
app.Services.GetRequiredService<RelayLagGauge>();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseCorrelation();
app.UseStrictJsonBodies();
app.UseIdempotencyBuffering();
// The API's description and its UI are public; everything else below needs a token (docs/security.md).
app.UseSwagger();
app.UseSwaggerUI();
app.UseAuthentication();
app.UseAuthorization();
// After authentication, so that a client is its token's subject (docs/security.md).
app.UseRateLimiter();

app.MapPrometheusScrapingEndpoint().RequireAuthorization(Access.Operate);
// Liveness says the process serves HTTP; readiness needs the database and a current schema, and is degraded while Kafka
// does not answer, the relay lags or a consumer gap is open.
app.MapLedgerHealthChecks();

// Endpoints are grouped by who may call them: each group carries exactly one policy of Access.
var v1 = app.MapGroup("/api/v1");
var moveMoney = v1.MapGroup("").WithTags("Tellers").RequireAuthorization(Access.MoveMoney).RequireRateLimiting(RateLimits.Commands);
OpenAccountEndpoint.Map(moveMoney);
DepositEndpoint.Map(moveMoney);
WithdrawEndpoint.Map(moveMoney);
TransferEndpoint.Map(moveMoney);
AccountLifecycleEndpoints.Map(moveMoney);
PlaceHoldEndpoint.Map(moveMoney);
SettleHoldEndpoints.Map(moveMoney);
AccountLifecycleEndpoints.MapFreeze(v1.MapGroup("").WithTags("Tellers").RequireAuthorization(Access.Freeze).RequireRateLimiting(RateLimits.Commands));

var readAccounts = v1.MapGroup("").WithTags("Tellers").RequireAuthorization(Access.ReadAccounts);
GetAccountEndpoint.Map(readAccounts);
GetTransferEndpoint.Map(readAccounts);
GetHoldsEndpoints.Map(readAccounts);
ApprovalEndpoints.MapReads(readAccounts);
ApprovalEndpoints.MapDecisions(v1.MapGroup("").WithTags("Supervisors").RequireAuthorization(Access.Approve).RequireRateLimiting(RateLimits.Commands));

var audit = v1.MapGroup("").WithTags("Auditors").RequireAuthorization(Access.Audit);
GetHistoryEndpoint.Map(audit);
GetStatementEndpoint.Map(audit);
VerifyIntegrityEndpoint.Map(audit);
GetBalancesEndpoint.Map(audit);

var consumers = v1.MapGroup("").WithTags("Fraud and audit").RequireAuthorization(Access.Audit);
GetAuditStatusEndpoint.Map(consumers);
GetAlertsEndpoint.Map(consumers);

var operations = v1.MapGroup("").WithTags("Operations").RequireAuthorization(Access.Operate);
GetRelayStatusEndpoint.Map(operations);
GetSystemEndpoint.Map(operations, postgresEmbedded: embedded is not null, kafkaOptions.RelayEnabled, kafkaOptions.ConsumersEnabled);
GetConsumerGapsEndpoint.Map(v1.MapGroup("").WithTags("Fraud and audit").RequireAuthorization(Access.Operate));

var reports = v1.MapGroup("").WithTags("Analysts").RequireAuthorization(Access.Report);
ListProjectionsEndpoint.Map(reports);
GetRebuildEndpoint.Map(reports);
GetDailyVolumesEndpoint.Map(reports);
GetTopAccountsEndpoint.Map(reports);
RebuildProjectionEndpoint.Map(v1.MapGroup("").WithTags("Analysts").RequireAuthorization(Access.Rebuild).RequireRateLimiting(RateLimits.Expensive));

app.Lifetime.ApplicationStarted.Register(() => StartupBanner.Print(app));
try
{
    await app.RunAsync();
}
catch (Exception refused) when (StartupFailure.Describe(refused, typeof(Program).Assembly) is { } message)
{
    // A schema that is not current or an invalid option, found as the host starts.
    return await StartupFailure.ReportAsync(message);
}

return 0;

/// <summary>Entry point; public so that the HTTP tests can host it.</summary>
public partial class Program;
