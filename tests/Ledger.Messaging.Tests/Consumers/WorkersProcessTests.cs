using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ledger.Testing;
using Npgsql;

namespace Ledger.Messaging.Tests.Consumers;

/// <summary>
/// The consumers also run as their own process (src/Ledger.Workers) against any bootstrap address, with health and metrics
/// endpoints of their own.
/// </summary>
public sealed class WorkersProcessTests
{
    [Fact]
    public async Task WorkersProcess_ConsumesFromTheGivenKafkaIntoTheGivenDatabase()
    {
        using var kafka = LedgerKafka.Start();
        var database = PostgresServer.CreateDatabase();
        await using var workers = StartWorkers(database, kafka.BootstrapServers);
        using var producer = KafkaTestMessages.CreateProducer(kafka);
        var message = KafkaTestMessages.AccountCreated(Guid.NewGuid());
        await producer.ProduceAccountEventAsync(message);

        await Eventually.HoldsAsync(async () => await AuditRowsAsync(database, message.EventId(), workers) == 1,
            "the workers to record the event in the audit log");
    }

    [Fact]
    public async Task WorkersOutsideDevelopment_OnADatabaseWithoutTheirTables_RefuseToStart_NamingTheMigration()
    {
        using var kafka = LedgerKafka.Start();
        var database = PostgresServer.CreateDatabase();
        await using var workers = StartWorkers(database, kafka.BootstrapServers, applySchema: false);

        (await workers.WaitForExitAsync()).Should().Be(1);
        workers.StandardError.Should().StartWith("Ledger cannot start:").And.Contain("ledger db migrate").And.Contain("ledger_audit");
        (await Sql.ScalarAsync<bool>(database, "select to_regclass('ledger_audit.audit_log') is null")).Should().BeTrue("nothing was created");
    }

    [Fact]
    public async Task WorkersWithoutKafkaOrDatabase_ExitWithAClearMessage()
    {
        await using var workers = StartWorkers(database: "", bootstrapServers: "");

        (await workers.WaitForExitAsync()).Should().Be(1);
        workers.StandardError.Should().StartWith("Ledger cannot start:").And.Contain("ConnectionStrings:Ledger")
            .And.Contain("Kafka:BootstrapServers").And.Contain("DOTNET_ENVIRONMENT=Development");
        workers.StandardOutput.Should().NotContain("Embedded Kafka listening");
    }

    [Fact]
    public async Task WorkersWhoseRuleFreezesWithoutTheApiOrAToken_RefuseToStart_NamingTheSettings()
    {
        using var kafka = LedgerKafka.Start();
        var database = PostgresServer.CreateDatabase();
        await using var workers = WorkersProcess.Start(database, kafka.BootstrapServers,
            environment: new Dictionary<string, string?> { ["Fraud__Velocity__FreezeAccount"] = "true" });

        (await workers.WaitForExitAsync()).Should().Be(1);
        workers.StandardError.Should().StartWith("Ledger cannot start:")
            .And.Contain("Fraud:Velocity:FreezeAccount is on, so set Fraud:Actions:ApiUrl")
            .And.Contain("Fraud:Velocity:FreezeAccount is on, so set Fraud:Actions:Token or Fraud:Actions:TokenFile");
    }

    [Fact]
    public async Task Workers_AnswerLivenessReadinessAndMetrics_WithoutAToken()
    {
        using var kafka = LedgerKafka.Start();
        var database = PostgresServer.CreateDatabase();
        var (workers, address) = await WorkersProcess.StartAsync(database, kafka.BootstrapServers);
        await using var running = workers;
        using var http = new HttpClient { BaseAddress = address };
        using var producer = KafkaTestMessages.CreateProducer(kafka);
        await producer.ProduceAccountEventAsync(KafkaTestMessages.AccountCreated(Guid.NewGuid()));

        using (var live = await http.GetAsync(new Uri("/health/live", UriKind.Relative)))
        {
            live.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        var ready = await Eventually.FoundAsync(async () =>
        {
            using var response = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            return response.StatusCode == HttpStatusCode.OK && body.GetProperty("status").GetString() == "Healthy" ? (JsonElement?)body : null;
        }, "the workers to be ready");
        ready.GetProperty("checks").EnumerateArray().Select(check => check.GetProperty("name").GetString())
            .Should().BeEquivalentTo(["postgres", "consumer-tables", "kafka"]);

        var metrics = await Eventually.FoundAsync(async () =>
        {
            var text = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            return text.Contains("ledger_consumer_lag{", StringComparison.Ordinal) ? text : null;
        }, "the consumers' lag in the metrics");
        metrics.Should().Contain("group=\"ledger-audit\"").And.Contain("group=\"ledger-fraud\"").And.Contain("db_client_")
            .And.Contain("ledger_fraud_freezes_total{", "the freezes' counter starts at zero with the fraud consumer");
    }

    [Fact]
    public async Task WorkersReadiness_IsDegradedWithoutKafka_AndUnhealthyWithoutTheirTables()
    {
        var kafka = LedgerKafka.Start();
        var database = PostgresServer.CreateDatabase();
        var (workers, address) = await WorkersProcess.StartAsync(database, kafka.BootstrapServers, new Dictionary<string, string?>
        {
            ["Health__KafkaCacheFor"] = "00:00:00",
            ["Health__KafkaTimeout"] = "00:00:01",
            ["Health__SchemaCacheFor"] = "00:00:00",
        });
        await using var running = workers;
        using var http = new HttpClient { BaseAddress = address };
        await ReadinessAsync(http, HttpStatusCode.OK, "Healthy");

        kafka.Dispose();
        var degraded = await ReadinessAsync(http, HttpStatusCode.OK, "Degraded");
        Check(degraded, "kafka").Should().Be("Degraded");

        await Sql.ExecuteAsync(database, "drop schema ledger_audit cascade");
        var unhealthy = await ReadinessAsync(http, HttpStatusCode.ServiceUnavailable, "Unhealthy");
        Check(unhealthy, "consumer-tables").Should().Be("Unhealthy");
        Check(unhealthy, "postgres").Should().Be("Healthy");
    }

    private static ChildProcess StartWorkers(string database, string bootstrapServers, bool applySchema = true) =>
        WorkersProcess.Start(database, bootstrapServers, applySchema);

    private static Task<JsonElement> ReadinessAsync(HttpClient http, HttpStatusCode status, string expected) =>
        Eventually.FoundAsync(async () =>
        {
            using var response = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            return response.StatusCode == status && body.GetProperty("status").GetString() == expected ? (JsonElement?)body : null;
        }, $"readiness {expected}");

    private static string? Check(JsonElement report, string name) =>
        report.GetProperty("checks").EnumerateArray().Single(check => check.GetProperty("name").GetString() == name).GetProperty("status").GetString();

    /// <summary>How many audit rows the event has (0 while the workers have not created the table yet).</summary>
    private static async Task<long> AuditRowsAsync(string database, Guid eventId, ChildProcess workers)
    {
        workers.HasExited.Should().BeFalse("the workers must keep running; they wrote {0}", string.Join(Environment.NewLine, workers.Output));
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        // The workers create the table when they start; until then there is nothing to count (a query would fail to plan).
        await using var exists = new NpgsqlCommand("select to_regclass('ledger_audit.audit_log') is not null", connection);
        if (!(bool)(await exists.ExecuteScalarAsync())!)
        {
            return 0;
        }

        await using var select = new NpgsqlCommand("select count(*) from ledger_audit.audit_log where ce_id = $1", connection);
        select.Parameters.Add(new NpgsqlParameter { Value = eventId });
        return (long)(await select.ExecuteScalarAsync())!;
    }
}
