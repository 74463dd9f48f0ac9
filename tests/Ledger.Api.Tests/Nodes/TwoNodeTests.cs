using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ledger.Contracts;
using Ledger.EventStore.Leadership;
using Ledger.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace Ledger.Api.Tests.Nodes;

/// <summary>
/// Two API nodes as real processes on one database and one Kafka (ADR-019): each takes commands and runs an instance of
/// both consumer groups; one of them runs the relay and one the async projections. The node that runs the relay is
/// killed with SIGKILL in the middle of a stream of commands (no shutdown code runs, its connections drop), and the other
/// takes its roles over. What must hold: every committed event reached the topic (duplicates allowed, no hole in any
/// account's versions), the reports equal a replay, and the two instances of each consumer left one audit row per event
/// and one alert per large debit.
/// </summary>
[Collection(NodesGroup.Name)]
public sealed partial class TwoNodeTests(ITestOutputHelper output)
{
    private const decimal LargeDebit = 10_000m;

    [Fact]
    public async Task LeaderKilledMidStream_TheOtherNodeTakesOver_AndNothingIsLostOrDoubled()
    {
        using var kafka = LedgerKafka.Start(partitions: 4);
        var database = PostgresServer.CreateDatabase();
        await using var first = await StartNodeAsync("node-a", database, kafka.BootstrapServers);
        // The second starts once the first made the schema, as a second replica starts beside a running one.
        await using var second = await StartNodeAsync("node-b", database, kafka.BootstrapServers);
        Node[] nodes = [first, second];

        var leader = await Eventually.FoundAsync(async () =>
        {
            var roles = await Task.WhenAll(nodes.Select(node => node.RolesAsync()));
            return roles.Count(r => r.Contains("relay")) == 1 && roles.Count(r => r.Contains("reports")) == 1
                ? nodes[Array.FindIndex(roles, r => r.Contains("relay"))]
                : null;
        }, "one node running the relay and one the reports");
        var survivor = leader == first ? second : first;

        var accounts = new List<Guid>();
        for (var i = 0; i < 12; i++)
        {
            accounts.Add(await nodes[i % 2].Teller.OpenFundedAccountAsync("1000000.00"));
        }

        // Both instances of each group took some of the topic's partitions.
        foreach (var group in new[] { "ledger-audit", "ledger-fraud" })
        {
            foreach (var node in nodes)
            {
                await node.Process.WaitForOutputAsync(new Regex($"Consumer {group} now also reads partitions \\d"));
            }
        }

        using var stop = new CancellationTokenSource();
        var largeDebits = 0;
        var driving = Task.WhenAll(
            DriveAsync(first, accounts, seed: 1, stop.Token),
            DriveAsync(second, accounts, seed: 2, stop.Token),
            // Large debits go through the node that stays, so that each one's answer is known: one alert each.
            Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    await survivor.Teller.WithdrawAsync(accounts[largeDebits % accounts.Count], "10000.00");
                    largeDebits++;
                    await Task.Delay(150);
                }
            }));

        await Eventually.HoldsAsync(async () => await CountEventsAsync(database) >= 100, "a stream of commands through both nodes");

        // The database drops the connection that holds the reports' lock (a restart, a network fault): the node that ran
        // them stops at once, and the role is taken again, here or on the other node.
        var reportsNode = (await Task.WhenAll(nodes.Select(async node => (node, roles: await node.RolesAsync()))))
            .Single(n => n.roles.Contains("reports")).node;
        (await Sql.ScalarAsync<long>(database, TerminateLockHolder(LeaderRole.Reports.LockKey))).Should().Be(1, "one backend holds the lock");
        await reportsNode.Process.WaitForOutputAsync(new Regex("lost the role 'reports'"));
        await Eventually.HoldsAsync(async () => (await Task.WhenAll(nodes.Select(node => node.RolesAsync()))).Count(r => r.Contains("reports")) == 1,
            "one node running the reports again");
        await Eventually.HoldsAsync(async () => await CountEventsAsync(database) >= 200, "more commands through both nodes");
        leader.Killed = true;
        await leader.Process.KillAsync();
        var killed = Stopwatch.StartNew();
        await Eventually.HoldsAsync(async () => (await survivor.RolesAsync()).Order(StringComparer.Ordinal).SequenceEqual(["hold-expiry", "relay", "reports"]),
            "the survivor to take every role");
        var takeover = killed.Elapsed;
        await Eventually.HoldsAsync(async () => await CountEventsAsync(database) >= 500, "more commands after the failover");
        await stop.CancelAsync();
        await driving;
        output.WriteLine($"took over {takeover.TotalMilliseconds:F0} ms after the kill; {largeDebits} large debits");
        takeover.Should().BeLessThan(TimeSpan.FromSeconds(30), "the survivor polls for the roles every second");

        var committed = await CommittedEventsAsync(database);
        var published = LedgerKafka.Read(kafka.BootstrapServers, KafkaTopics.AccountEvents, result => (
                Id: Guid.Parse(LedgerKafka.Header(result.Message.Headers, CloudEventHeaders.Id)),
                Account: Guid.Parse(LedgerKafka.Header(result.Message.Headers, CloudEventHeaders.Subject)),
                Version: long.Parse(LedgerKafka.Header(result.Message.Headers, CloudEventHeaders.StreamVersion), CultureInfo.InvariantCulture)),
            read => read.Select(m => m.Id).ToHashSet().IsSupersetOf(committed.Keys), TimeSpan.FromSeconds(90));
        published.Select(m => m.Id).ToHashSet().Should().BeEquivalentTo(committed.Keys, "every committed event, and only those, is on the topic");
        foreach (var account in published.GroupBy(m => m.Account))
        {
            var versions = account.Select(m => m.Version).Distinct().Order().ToList();
            versions.Should().Equal(Enumerable.Range(1, versions.Count).Select(v => (long)v), "account {0} has no hole", account.Key);
        }

        await survivor.Analyst.WaitForReportsAsync();
        await using (var verify = ChildProcess.Start("ledger.dll", ["projections", "verify", "--all", "--connection", database]))
        {
            (await verify.WaitForExitAsync()).Should().Be(0, "the reports equal a replay: {0}", verify.StandardOutput);
        }

        await Eventually.HoldsAsync(async () => await Sql.ScalarAsync<long>(database,
            "select count(*) from ledger_audit.audit_log") >= committed.Count, "the audit log to hold every event");
        (await Sql.ScalarAsync<long>(database, "select count(*) from ledger_audit.audit_log")).Should().Be(committed.Count, "one audit row per event");
        (await Sql.ScalarAsync<long>(database, "select count(distinct ce_id) from ledger_audit.audit_log")).Should().Be(committed.Count);
        await Eventually.HoldsAsync(async () => await Sql.ScalarAsync<long>(database,
            "select count(*) from ledger_fraud.alerts where rule = 'large-debit'") >= largeDebits, "an alert for each large debit");
        (await Sql.ScalarAsync<long>(database, "select count(*) from ledger_fraud.alerts where rule = 'large-debit'")).Should().Be(largeDebits,
            "one alert per large debit, though two instances of the fraud consumer ran and one died");
        (await Sql.ScalarAsync<long>(database,
            "select count(*) from (select e from ledger_fraud.alerts, unnest(event_ids) e where rule = 'large-debit' group by e having count(*) > 1) twice"))
            .Should().Be(0, "no large debit raised two alerts");
        survivor.Process.HasExited.Should().BeFalse();
    }

    /// <summary>Transfers, deposits and small withdrawals through one node until stopped or the node is gone.</summary>
    private static async Task DriveAsync(Node node, List<Guid> accounts, int seed, CancellationToken stop)
    {
        var random = new Random(seed);
        while (!stop.IsCancellationRequested && !node.Killed)
        {
            var (from, to) = (accounts[random.Next(accounts.Count)], accounts[random.Next(accounts.Count)]);
            try
            {
                using var response = random.Next(3) switch
                {
                    0 when from != to => await node.Teller.TransferRawAsync(new { fromAccountId = from, toAccountId = to, amount = "1.00" }),
                    1 => await node.Teller.DepositRawAsync(from, """{"amount":"2.00"}"""),
                    _ => await node.Teller.WithdrawRawAsync(from, """{"amount":"1.00"}"""),
                };
            }
            // The killed node answers nothing more; whatever it committed is in the database, which the test reads.
            catch (HttpRequestException) when (node.Killed)
            {
                return;
            }
        }
    }

    /// <summary>Terminates the backend that holds the session advisory lock on <paramref name="key"/>; returns how many.</summary>
    private static string TerminateLockHolder(long key) => string.Create(CultureInfo.InvariantCulture,
        $"select count(pg_terminate_backend(pid)) from pg_locks where locktype = 'advisory' and granted and classid = {key >> 32} and objid = {key & 0xFFFF_FFFF} and objsubid = 1");

    private static Task<long> CountEventsAsync(string database) =>
        Sql.ScalarAsync<long>(database, "select count(*) from ledger.mt_events where type <> 'tombstone'");

    /// <summary>Every committed account event by id (Marten's tombstones are not events of the ledger).</summary>
    private static async Task<Dictionary<Guid, long>> CommittedEventsAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select id, version from ledger.mt_events where type <> 'tombstone'", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var events = new Dictionary<Guid, long>();
        while (await reader.ReadAsync())
        {
            events[reader.GetGuid(0)] = reader.GetInt64(1);
        }

        return events;
    }

    private async Task<Node> StartNodeAsync(string name, string database, string bootstrapServers)
    {
        var (process, address) = await ApiProcess.StartAsync(new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["ConnectionStrings__Ledger"] = database,
            ["Ledger__ApplySchemaOnStart"] = "true",
            ["Ledger__NodeName"] = name,
            ["Kafka__BootstrapServers"] = bootstrapServers,
            ["Kafka__ConsumersEnabled"] = "true",
            // A killed instance's partitions go to the other once the group coordinator stops hearing from it.
            ["Kafka__ConsumerSessionTimeoutMs"] = "3000",
        });
        output.WriteLine($"{name}: {address}");
        return new Node(name, process, address, output);
    }

    private sealed record Node(string Name, ChildProcess Process, Uri Address, ITestOutputHelper Output) : IAsyncDisposable
    {
        /// <summary>Set just before the test kills it: a request it fails from then on is expected.</summary>
        public bool Killed
        {
            get => Volatile.Read(ref _killed);
            set => Volatile.Write(ref _killed, value);
        }

        private bool _killed;

        public Teller Teller { get; } = new(new HttpClient { BaseAddress = Address });

        public Analyst Analyst { get; } = new(new HttpClient { BaseAddress = Address });

        private HttpClient Admin { get; } = new HttpClient { BaseAddress = Address }.As(Roles.Admin);

        public async Task<IReadOnlyList<string>> RolesAsync()
        {
            var system = await Admin.GetFromJsonAsync<JsonElement>("/api/v1/system");
            return system.GetProperty("node").GetProperty("roles").EnumerateArray().Select(role => role.GetString()!).ToList();
        }

        /// <summary>Stops the node, then shows what it wrote when it exited on its own (it must not).</summary>
        public async ValueTask DisposeAsync()
        {
            var crashed = Process.HasExited && !Killed;
            await Process.DisposeAsync();
            if (crashed)
            {
                Output.WriteLine($"{Name} exited on its own:{Environment.NewLine}{string.Join(Environment.NewLine, Process.Output.TakeLast(80))}");
            }
        }
    }
}

/// <summary>Tests that run several API processes at once: alone, after every other collection of this assembly.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NodesGroup
{
    public const string Name = "nodes";
}
