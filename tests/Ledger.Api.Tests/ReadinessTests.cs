using System.Net;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Api.Tests.Relay;
using Ledger.EventStore;
using Ledger.Messaging.Relay;
using Ledger.Testing;
using Marten;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Ledger.Api.Tests;

/// <summary>
/// Each readiness check turned unhealthy or degraded for real, and back: the database refusing connections, a table of
/// the schema dropped, the Kafka broker down while the relay's lag grows. Every test has its own API and database (and
/// broker), since it breaks them; the checks' caches are off so that each probe asks.
/// </summary>
public sealed class ReadinessTests
{
    [Fact]
    public async Task DatabaseRefusingConnections_IsUnhealthy503_AndReadyAgainOnceItAccepts()
    {
        await using var api = new LedgerApiFactory();
        await using var factory = WithoutKafka(api);
        using var http = factory.CreateClient();
        (await Health.UntilAsync(http, "postgres", "Healthy")).Status.Should().Be(HttpStatusCode.OK);

        var database = new NpgsqlConnectionStringBuilder(api.ConnectionString).Database!;
        var maintenance = new NpgsqlConnectionStringBuilder(api.ConnectionString) { Database = "postgres", Pooling = false }.ConnectionString;
        await Sql.ExecuteAsync(maintenance, $"alter database \"{database}\" with allow_connections false");
        try
        {
            await Sql.ExecuteAsync(maintenance, "select pg_terminate_backend(pid) from pg_stat_activity where datname = $1", database);
            var (status, report) = await Health.UntilAsync(http, "postgres", "Unhealthy");
            status.Should().Be(HttpStatusCode.ServiceUnavailable, "got {0}", report);
            report.GetProperty("status").GetString().Should().Be("Unhealthy");
        }
        finally
        {
            await Sql.ExecuteAsync(maintenance, $"alter database \"{database}\" with allow_connections true");
        }

        var (after, ready) = await Health.UntilAsync(http, "postgres", "Healthy");
        after.Should().Be(HttpStatusCode.OK, "got {0}", ready);
    }

    [Fact]
    public async Task SchemaChangedUnderARunningApi_IsUnhealthy503_AndReadyAgainAfterTheMigration()
    {
        await using var api = new LedgerApiFactory();
        await using var factory = WithoutKafka(api);
        using var http = factory.CreateClient();
        (await Health.UntilAsync(http, "schema", "Healthy")).Status.Should().Be(HttpStatusCode.OK);

        await Sql.ExecuteAsync(api.ConnectionString, $"drop table {RelayDeadLetters.QualifiedName}");
        var (status, report) = await Health.UntilAsync(http, "schema", "Unhealthy");
        status.Should().Be(HttpStatusCode.ServiceUnavailable, "got {0}", report);
        report.ToString().Should().Contain(LedgerSchema.MigrateCommand);

        await LedgerSchema.ApplyAsync(factory.Services.GetRequiredService<IDocumentStore>(), CancellationToken.None);
        (await Health.UntilAsync(http, "schema", "Healthy")).Status.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task KafkaDown_IsDegradedWhileTheRelayLagGrowsPastItsBound_AndHealthyOnceTheRelayCaughtUp()
    {
        using var kafka = LedgerKafka.Start(partitions: 3);
        await using var host = new RelayHost(kafka.BootstrapServers, PostgresServer.CreateDatabase(), relayEnabled: true)
            .WithWebHostBuilder(builder => builder
                .UseSetting("Health:KafkaCacheFor", "00:00:00")
                .UseSetting("Health:KafkaTimeout", "00:00:01")
                .UseSetting("Health:RelayLagMax", "3")
                .UseSetting("Kafka:RetryBackoffMaxMs", "1000"));
        using var http = host.CreateClient();
        var teller = new Teller(host.CreateClient());
        var accountId = await teller.OpenAccountAsync();
        await Health.UntilAsync(http, "relay-lag", "Healthy");
        (await Health.UntilAsync(http, "kafka", "Healthy")).Status.Should().Be(HttpStatusCode.OK);

        kafka.BrokerDown(1);
        var (down, report) = await Health.UntilAsync(http, "kafka", "Degraded");
        down.Should().Be(HttpStatusCode.OK, "without Kafka the ledger still takes commands; got {0}", report);
        for (var i = 0; i < 5; i++)
        {
            await teller.DepositAsync(accountId, "1.00");
        }

        (down, report) = await Health.UntilAsync(http, "relay-lag", "Degraded");
        down.Should().Be(HttpStatusCode.OK);
        report.GetProperty("status").GetString().Should().Be("Degraded");

        kafka.BrokerUp(1);
        await Health.UntilAsync(http, "kafka", "Healthy");
        var (up, healthy) = await Health.UntilAsync(http, "relay-lag", "Healthy");
        up.Should().Be(HttpStatusCode.OK);
        Health.Checks(healthy).Values.Should().OnlyContain(check => check == "Healthy", "got {0}", healthy);
    }

    private static WebApplicationFactory<Program> WithoutKafka(LedgerApiFactory factory) =>
        factory.WithWebHostBuilder(builder => builder
            .UseSetting("Kafka:RelayEnabled", "false")
            .UseSetting("Kafka:ConsumersEnabled", "false")
            .UseSetting("Projections:RunAsync", "false")
            .UseSetting("Health:SchemaCacheFor", "00:00:00"));
}
