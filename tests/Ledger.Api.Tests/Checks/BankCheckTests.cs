extern alias ledger;
using System.CommandLine;
using System.Text.Json;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Development.Postgres;
using Ledger.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using EventTombstones = Ledger.EventStore.Tombstones;
using LedgerCommand = ledger::Ledger.Cli.LedgerCommand;

namespace Ledger.Api.Tests.Checks;

/// <summary>
/// <c>ledger check bank</c> in this process against the API as a child process on its own database: the verdict is valid
/// with and without the database's sessions being cut off under it, with the API killed (SIGKILL) and restarted on the
/// same address mid-run, with its embedded PostgreSQL killed mid-run (the API starts it again), and with the relay
/// publishing to a broker the checker reads back. Run alone (the load collection): the clients are meant
/// to contend. The checker's ability to fail is tested on its model (Ledger.Cli.Tests, BankCheckerTests).
/// </summary>
[Collection(LoadGroup.Name)]
public sealed class BankCheckTests
{
    private static readonly TimeSpan CheckLimit = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan CutInterval = TimeSpan.FromMilliseconds(50);
    private const int CutsMax = 60;

    [Fact]
    public async Task ShortRun_IsValid_WithEveryProjectionIdentical_AndEveryEventOnTheTopic()
    {
        var connectionString = PostgresServer.CreateDatabase();
        using var kafka = LedgerKafka.Start(partitions: 6);
        var (api, address) = await StartApiAsync(connectionString, kafka.BootstrapServers);
        await using (api)
        {
            var (exitCode, output, error) = await CheckAsync(address, "4s", "--connection", connectionString,
                "--bootstrap-servers", kafka.BootstrapServers);

            exitCode.Should().Be(0, $"{output}{error}");
            var verdict = JsonDocument.Parse(output).RootElement;
            verdict.GetProperty("valid").GetBoolean().Should().BeTrue();
            AcknowledgedOf(verdict, "transfer").Should().BePositive(output);
            AcknowledgedOf(verdict, "deposit").Should().BePositive(output);
            AcknowledgedOf(verdict, "withdrawal").Should().BePositive(output);
            AcknowledgedOf(verdict, "holdplacement").Should().BePositive(output);
            (AcknowledgedOf(verdict, "holdcapture") + AcknowledgedOf(verdict, "holdrelease")).Should().BePositive(output);
            verdict.GetProperty("trialBalanceReads").GetInt64().Should().BePositive(output);
            verdict.GetProperty("asOfReads").GetInt64().Should().BePositive(output);
            Ran(verdict).Should().Contain(["total", "overdraft", "availability", "history", "integrity", "projections", "kafka"]);
        }
    }

    [Fact]
    public async Task DatabaseSessionsTerminatedDuringTheRun_RetriesConverge_AndTheVerdictIsValid()
    {
        var connectionString = PostgresServer.CreateDatabase();
        var (api, address) = await StartApiAsync(connectionString);
        await using (api)
        {
            var check = CheckAsync(address, "5s");
            var terminated = 0L;
            // Only sessions inside a statement or a transaction: an idle pooled session would simply be replaced. And only once
            // the set-up (6 accounts opened and funded) is written, so that the cuts fall on the clients' commands.
            while (!check.IsCompleted && await Sql.ScalarAsync<long>(connectionString, "select count(*) from ledger.mt_events") <= 12)
            {
                await Task.Delay(CutInterval);
            }

            for (var cut = 0; cut < CutsMax && !check.IsCompleted; cut++)
            {
                await Task.Delay(CutInterval);
                terminated += await Sql.ScalarAsync<long>(connectionString,
                    "select count(*) from (select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() " +
                    "and pid <> pg_backend_pid() and backend_type = 'client backend' and state in ('active', 'idle in transaction')) cut");
            }

            var (exitCode, output, error) = await check;

            terminated.Should().BePositive("the API's sessions were cut off while the clients ran");
            exitCode.Should().Be(0, $"{output}{error}");
            var verdict = JsonDocument.Parse(output).RootElement;
            verdict.GetProperty("valid").GetBoolean().Should().BeTrue();
            AcknowledgedOf(verdict, "transfer").Should().BePositive(output);
            (verdict.GetProperty("retries").GetInt64() + IndeterminateOf(verdict)).Should()
                .BePositive("some commands met a cut-off session and were sent again: {0}", output);
        }
    }

    [Fact]
    public async Task ApiKilledAndRestartedDuringTheRun_RetriesConverge_AndTheRelayPublishesEveryEvent()
    {
        var connectionString = PostgresServer.CreateDatabase();
        using var kafka = LedgerKafka.Start(partitions: 6);
        var settings = ApiSettings(connectionString, kafka.BootstrapServers);
        // A key held by a request the kill cut off stays reserved until its lease ends; a short lease keeps the clients'
        // wait after the restart within the run's drain time.
        settings["Idempotency__Lease"] = "00:00:10";
        settings["Commands__TimeLimit"] = "00:00:05";
        var (api, address) = await ApiProcess.StartAsync(settings);
        ChildProcess? restarted = null;
        try
        {
            var check = CheckAsync(address, "8s", "--connection", connectionString, "--bootstrap-servers", kafka.BootstrapServers);
            // The set-up writes 12 events; the kill falls once the clients' own commands are being written.
            await Eventually.HoldsAsync(async () => check.IsCompleted || await EventsAsync(connectionString) > 40,
                "the clients' commands to be committed before the kill");
            check.IsCompleted.Should().BeFalse("the kill must fall inside the run");
            await api.KillAsync();
            var atKill = await EventsAsync(connectionString);
            (restarted, _) = await ApiProcess.StartAsync(settings, address);

            var (exitCode, output, error) = await check;

            exitCode.Should().Be(0, $"{output}{error}");
            var verdict = JsonDocument.Parse(output).RootElement;
            verdict.GetProperty("valid").GetBoolean().Should().BeTrue(output);
            (verdict.GetProperty("retries").GetInt64() + IndeterminateOf(verdict)).Should()
                .BePositive("commands in flight at the kill were sent again to the restarted API: {0}", output);
            (await EventsAsync(connectionString)).Should().BeGreaterThan(atKill, "the clients went on against the restarted API");
            Ran(verdict).Should().Contain(["history", "projections", "kafka"]);
        }
        finally
        {
            await api.DisposeAsync();
            if (restarted is not null)
            {
                await restarted.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task EmbeddedPostgresKilledDuringTheRun_TheApiRestartsIt_RetriesConverge_AndTheVerdictIsValid()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), $"ledger-crash-{Guid.NewGuid():N}");
        try
        {
            // Development: the API owns its database server and starts it again when it dies (EmbeddedPostgresWatchdog).
            var (api, address) = await PostgresCrashTests.StartWithItsOwnPostgresAsync(dataDirectory, new Dictionary<string, string?>
            {
                ["Kafka__RelayEnabled"] = "false",
                ["Idempotency__Lease"] = "00:00:10",
                ["Commands__TimeLimit"] = "00:00:05",
            });
            await using (api)
            {
                Task<(int ExitCode, string Output, string Error)> run;
                // The API's server, shared (this process does not own it, so disposing it stops nothing): to watch the run.
                using (var server = EmbeddedPostgres.Start(new EmbeddedPostgresOptions { DataDirectory = dataDirectory }, NullLogger.Instance))
                {
                    var check = CheckAsync(address, "8s");
                    // The set-up writes 12 events; the kill falls once the clients' own commands are being written.
                    await Eventually.HoldsAsync(async () => check.IsCompleted || await EventsAsync(server.ConnectionString) > 40,
                        "the clients' commands to be committed before the kill");
                    check.IsCompleted.Should().BeFalse("the kill must fall inside the run");
                    PostgresCrashTests.KillPostmaster(dataDirectory);
                    run = check;
                }


                var (exitCode, output, error) = await run;

                exitCode.Should().Be(0, $"{output}{error}");
                var verdict = JsonDocument.Parse(output).RootElement;
                verdict.GetProperty("valid").GetBoolean().Should().BeTrue(output);
                (verdict.GetProperty("retries").GetInt64() + IndeterminateOf(verdict)).Should()
                    .BePositive("commands that met the dead server were sent again once the API had restarted it: {0}", output);
                Ran(verdict).Should().Contain(["total", "overdraft", "history", "integrity"]);
            }
        }
        finally
        {
            PostgresCrashTests.StopWhatTheApiLeft(dataDirectory);
        }
    }

    private static Task<long> EventsAsync(string connectionString) =>
        Sql.ScalarAsync<long>(connectionString, $"select count(*) from ledger.mt_events where {EventTombstones.NotTombstone}");

    /// <summary>The API on its own database; with a broker, its relay publishes there, else it runs without Kafka.</summary>
    private static Task<(ChildProcess Api, Uri Address)> StartApiAsync(string connectionString, string? bootstrapServers = null) =>
        ApiProcess.StartAsync(ApiSettings(connectionString, bootstrapServers));

    private static Dictionary<string, string?> ApiSettings(string connectionString, string? bootstrapServers) => new()
    {
        ["ConnectionStrings__Ledger"] = connectionString,
        ["Kafka__BootstrapServers"] = bootstrapServers,
        ["Kafka__RelayEnabled"] = bootstrapServers is null ? "false" : "true",
        ["Kafka__ConsumersEnabled"] = "false",
        ["Ledger__ApplySchemaOnStart"] = "true",
    };

    /// <summary>A short run: 4 clients, 2 readers, 6 accounts.</summary>
    private static async Task<(int ExitCode, string Output, string Error)> CheckAsync(Uri address, string duration, params string[] extra)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var limit = new CancellationTokenSource(CheckLimit);
        string[] args =
        [
            "check", "bank", "--url", address.ToString(), "--token", TestTokens.For("admin"), "--duration", duration, "--clients", "4",
            "--readers", "2", "--accounts", "6", "--seed", "7", "--json", .. extra,
        ];
        var exitCode = await LedgerCommand.InvokeAsync(args, new InvocationConfiguration { Output = output, Error = error }, limit.Token);
        return (exitCode, output.ToString(), error.ToString());
    }

    private static int AcknowledgedOf(JsonElement verdict, string kind) => verdict.GetProperty("operations").EnumerateArray()
        .Single(counts => counts.GetProperty("kind").GetString() == kind).GetProperty("acknowledged").GetInt32();

    private static int IndeterminateOf(JsonElement verdict) =>
        verdict.GetProperty("operations").EnumerateArray().Sum(counts => counts.GetProperty("indeterminate").GetInt32());

    private static List<string?> Ran(JsonElement verdict) => [.. verdict.GetProperty("checks").EnumerateArray()
        .Where(check => check.GetProperty("ran").GetBoolean()).Select(check => check.GetProperty("name").GetString())];
}
