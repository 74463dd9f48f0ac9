using System.Diagnostics;
using Ledger.Testing;
using Npgsql;

namespace Ledger.Messaging.Tests.Consumers;

/// <summary>The consumers also run as their own process (src/Ledger.Workers) against any bootstrap address.</summary>
public sealed class WorkersProcessTests
{
    [Fact]
    public async Task WorkersProcess_ConsumesFromTheGivenKafkaIntoTheGivenDatabase()
    {
        using var kafka = KafkaTestMessages.StartKafka();
        var database = PostgresServer.CreateDatabase();
        using var workers = StartWorkers(("ConnectionStrings__Ledger", database), ("Kafka__BootstrapServers", kafka.BootstrapServers));
        try
        {
            using var producer = KafkaTestMessages.CreateProducer(kafka);
            var message = KafkaTestMessages.AccountCreated(Guid.NewGuid());
            await producer.ProduceAccountEventAsync(message);

            await WaitForAuditRowAsync(database, message.EventId(), workers);
        }
        finally
        {
            workers.Kill(entireProcessTree: true);
            await workers.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task WorkersWithoutKafkaOrDatabase_ExitWithAClearMessage()
    {
        using var workers = StartWorkers(("ConnectionStrings__Ledger", ""), ("Kafka__BootstrapServers", ""));

        var error = await workers.StandardError.ReadToEndAsync();
        await workers.WaitForExitAsync();

        workers.ExitCode.Should().Be(1);
        error.Should().Contain("ConnectionStrings:Ledger").And.Contain("Kafka:BootstrapServers").And.Contain("kafka serve");
    }

    private static Process StartWorkers(params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet",
            [Path.Combine(AppContext.BaseDirectory, "Ledger.Workers.dll")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        start.Environment["Kafka__ConsumerSessionTimeoutMs"] = "3000";
        return Process.Start(start) ?? throw new InvalidOperationException("The workers process did not start.");
    }

    private static async Task WaitForAuditRowAsync(string database, Guid eventId, Process workers)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            workers.HasExited.Should().BeFalse("the workers must keep running");
            await using var connection = new NpgsqlConnection(database);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                "select count(*) from information_schema.tables where table_schema = 'ledger_audit' and table_name = 'audit_log'", connection);
            if ((long)(await command.ExecuteScalarAsync())! == 1)
            {
                await using var select = new NpgsqlCommand("select count(*) from ledger_audit.audit_log where ce_id = $1", connection);
                select.Parameters.Add(new NpgsqlParameter { Value = eventId });
                if ((long)(await select.ExecuteScalarAsync())! == 1)
                {
                    return;
                }
            }

            await Task.Delay(200);
        }

        throw new TimeoutException("The workers never recorded the event in the audit log.");
    }
}
