using Ledger.Testing;
using Npgsql;

namespace Ledger.Messaging.Tests.Consumers;

/// <summary>The consumers also run as their own process (src/Ledger.Workers) against any bootstrap address.</summary>
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

    /// <summary>The workers in the default (Production) environment; they create their tables at start when told to (ADR-015).</summary>
    private static ChildProcess StartWorkers(string database, string bootstrapServers, bool applySchema = true) =>
        ChildProcess.Start("Ledger.Workers.dll", [], new Dictionary<string, string?>
        {
            ["ConnectionStrings__Ledger"] = database,
            ["Kafka__BootstrapServers"] = bootstrapServers,
            ["Kafka__ConsumerSessionTimeoutMs"] = "3000",
            ["Ledger__ApplySchemaOnStart"] = applySchema ? "true" : "false",
        });

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
