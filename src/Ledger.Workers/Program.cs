using Ledger.AuditLog;
using Ledger.Fraud;
using Ledger.Messaging;
using Npgsql;

// Runs the consumers outside the API: `dotnet run --project src/Ledger.Workers` with Kafka:BootstrapServers and
// ConnectionStrings:Ledger (the same database as the API, whose endpoints read the consumers' schemas).
var builder = Host.CreateApplicationBuilder(args);
var connectionString = builder.Configuration.GetConnectionString("Ledger");
var kafka = builder.Configuration.GetSection(KafkaOptions.Section).Get<KafkaOptions>() ?? new KafkaOptions();
if (string.IsNullOrWhiteSpace(connectionString) || string.IsNullOrWhiteSpace(kafka.BootstrapServers))
{
    await Console.Error.WriteLineAsync(
        "Ledger workers need ConnectionStrings:Ledger (the ledger's PostgreSQL) and Kafka:BootstrapServers (a Kafka cluster, " +
        "or the address printed by `dotnet run --project src/Ledger.Cli -- kafka serve`).");
    return 1;
}

var services = builder.Services;
services.AddSingleton(new KafkaConnection(kafka.BootstrapServers, Embedded: false));
services.AddOptions<KafkaOptions>().BindConfiguration(KafkaOptions.Section);
services.AddHostedService<TopicProvisioner>();
services.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));
services.AddSingleton(TimeProvider.System);
if (builder.Configuration.GetValue("Workers:Audit", defaultValue: true))
{
    services.AddAuditConsumer();
}

if (builder.Configuration.GetValue("Workers:Fraud", defaultValue: true))
{
    services.AddFraudConsumer(builder.Configuration);
}

await builder.Build().RunAsync();
return 0;
