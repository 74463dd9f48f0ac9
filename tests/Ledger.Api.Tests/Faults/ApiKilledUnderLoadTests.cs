using System.Globalization;
using Ledger.Api.Tests.Relay;
using Ledger.Contracts;
using Ledger.Testing;
using static Ledger.Api.Tests.Audit.TrialBalanceTests;

namespace Ledger.Api.Tests.Faults;

/// <summary>
/// The API process killed with SIGKILL while clients deposit with Idempotency-Keys, then started again on the same
/// database and the same Kafka (a broker in the test process, which outlives the API). Every acknowledged deposit is
/// there exactly once, nothing is half-applied, and the relay publishes every committed event after the restart.
/// </summary>
public sealed class ApiKilledUnderLoadTests
{
    private const int Accounts = 4;
    private const int Clients = 8;
    private const int AcknowledgedBeforeTheKill = 80;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task KilledMidStream_AndRestarted_EveryAcknowledgedDepositIsThereOnce_AndTheRelayPublishesEverything()
    {
        using var kafka = LedgerKafka.Start(partitions: 3);
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Ledger"] = PostgresServer.CreateDatabase(),
            ["Kafka__BootstrapServers"] = kafka.BootstrapServers,
            ["Kafka__ConsumersEnabled"] = "false",
            // A key held by a request the kill cut off stays reserved until its lease ends (a 409 in-flight until then);
            // a short lease keeps the wait for the retries after the restart short.
            ["Idempotency__Lease"] = "00:00:10",
            ["Commands__TimeLimit"] = "00:00:05",
        };

        var (api, address) = await ApiProcess.StartAsync(settings);
        var accounts = new List<Guid>();
        var commands = new List<(KeyedCommand Command, Outcome Outcome)>();
        await using (api)
        {
            using var setup = Client(address);
            var teller = new Teller(setup);
            for (var i = 0; i < Accounts; i++)
            {
                accounts.Add(await teller.OpenAccountAsync("DKK"));
            }

            // Clients deposit until the process is gone; the kill comes once enough deposits were acknowledged.
            var acknowledged = 0;
            using var killed = new CancellationTokenSource();
            var clients = Enumerable.Range(0, Clients).Select(client => Task.Run(async () =>
            {
                using var http = Client(address);
                var random = new Random(client);
                var sent = new List<(KeyedCommand, Outcome)>();
                while (!killed.IsCancellationRequested)
                {
                    var command = KeyedCommand.Deposit(accounts[random.Next(Accounts)], random.Next(1, 100_000) / 100m);
                    var outcome = await KeyedRetries.SendAsync(http, command, attemptsMax: 3, TimeSpan.FromMilliseconds(50), killed.Token);
                    sent.Add((command, outcome));
                    if (outcome.Acknowledged)
                    {
                        Interlocked.Increment(ref acknowledged);
                    }
                }

                return sent;
            })).ToList();

            await Eventually.HoldsAsync(() => Task.FromResult(Volatile.Read(ref acknowledged) >= AcknowledgedBeforeTheKill),
                "deposits to be acknowledged before the kill");
            await api.KillAsync();
            await killed.CancelAsync();
            commands.AddRange((await Task.WhenAll(clients)).SelectMany(sent => sent));
        }

        commands.Should().Contain(result => !result.Outcome.Acknowledged, "some deposits were in flight when the process died");
        commands.Sum(result => result.Outcome.TimedOut).Should().Be(0, "no request may hang past the client's timeout of {0}", RequestTimeout);

        (api, address) = await ApiProcess.StartAsync(settings);
        await using (api)
        {
            using var http = Client(address);
            // The deposits the kill cut off may or may not have been committed; sending each again with its key settles it.
            foreach (var (command, _) in commands.Where(result => !result.Outcome.Acknowledged))
            {
                var outcome = await KeyedRetries.SendAsync(http, command, attemptsMax: 60, TimeSpan.FromMilliseconds(500));
                outcome.Acknowledged.Should().BeTrue("got {0}", outcome.LastAnswer);
            }

            var all = commands.Select(result => result.Command).ToList();
            var balances = KeyedRetries.ExpectedBalances(accounts.ToDictionary(id => id, _ => 0m), all);
            var versions = KeyedRetries.ExpectedVersions(accounts.ToDictionary(id => id, _ => 1L), all);
            var teller = new Teller(http);
            using var auditorHttp = Client(address);
            var auditor = new Auditor(auditorHttp);
            foreach (var accountId in accounts)
            {
                var view = await teller.GetAccountAsync(accountId);
                (view.GetProperty("balance").GetDecimal(), view.GetProperty("version").GetInt64()).Should()
                    .Be((balances[accountId], versions[accountId]), "every acknowledged deposit took effect exactly once on {0}", accountId);
                var integrity = await auditor.IntegrityAsync(accountId);
                integrity.GetProperty("valid").GetBoolean().Should().BeTrue("got {0}", integrity);
            }

            var trial = await auditor.BalancesAsync();
            ShouldBeBalanced(trial);
            Figures(Totals(trial, "DKK")!.Value).Should().Be((Accounts, balances.Values.Sum(), all.Sum(command => command.Amount), 0m));

            // At least once: every committed event reaches the topic, a crash at most repeats some (same ce_id).
            var stored = (await EventStoreRows.EventIdsAsync(settings["ConnectionStrings__Ledger"]!, accounts)).Values
                .SelectMany(ids => ids).ToHashSet();
            stored.Should().HaveCount(accounts.Count + all.Count);
            var published = Topic.ReadUntil(kafka.BootstrapServers, read => stored.IsSubsetOf(read.Select(message => message.EventId)));
            published.Select(message => message.EventId).ToHashSet().Should().BeEquivalentTo(stored,
                "the topic holds exactly the store's events, whatever was published twice");
        }
    }

    private static HttpClient Client(Uri address) =>
        new HttpClient { BaseAddress = address, Timeout = RequestTimeout }.As(Roles.Teller);
}
