using System.Diagnostics;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Testing;
using Microsoft.AspNetCore.Hosting;
using static Ledger.Api.Tests.Audit.TrialBalanceTests;

namespace Ledger.Api.Tests.Faults;

/// <summary>
/// PostgreSQL ends the API's connections again and again (<c>pg_terminate_backend</c>, as a failover or an operator
/// does) while clients deposit and transfer, each command with its Idempotency-Key and retried with it until
/// acknowledged. Afterwards every command took effect exactly once and the books agree. In the load collection (alone on
/// the machine) with an API and a database of its own; a currency (PLN) no other test uses.
/// </summary>
[Collection(LoadGroup.Name)]
public sealed class BackendsTerminatedUnderLoadTests
{
    private const int Accounts = 6;
    private const int Clients = 12;
    private const int CommandsPerClient = 25;
    private const decimal Opening = 100_000m;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task EveryAcknowledgedCommand_TookEffectExactlyOnce_AndNoRequestHung()
    {
        await using var api = new LedgerApiFactory();
        // A short lease, so that a key left reserved by a request whose connection died is free again within a retry's patience.
        await using var factory = api.WithWebHostBuilder(builder => builder
            .UseSetting("Commands:TimeLimit", "00:00:05")
            .UseSetting("Idempotency:Lease", "00:00:10"));
        var teller = new Teller(factory.CreateClient());
        var auditor = new Auditor(factory.CreateClient());
        var accounts = new List<Guid>();
        for (var i = 0; i < Accounts; i++)
        {
            var accountId = await teller.OpenAccountAsync("PLN");
            await teller.DepositAsync(accountId, Opening.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture));
            accounts.Add(accountId);
        }

        var random = new Random(20261129);
        var commands = Enumerable.Range(0, Clients).Select(_ => Enumerable.Range(0, CommandsPerClient).Select(i =>
        {
            var from = accounts[random.Next(Accounts)];
            var to = accounts[(accounts.IndexOf(from) + 1 + random.Next(Accounts - 1)) % Accounts];
            var amount = random.Next(1, 10_000) / 100m;
            return i % 3 == 0 ? KeyedCommand.Deposit(to, amount) : KeyedCommand.Transfer(from, to, amount);
        }).ToList()).ToList();

        using var clientsDone = new CancellationTokenSource();
        var terminator = TerminateBackendsAsync(api.ConnectionString, clientsDone.Token);
        var clock = Stopwatch.StartNew();
        var outcomes = await Task.WhenAll(commands.Select(async batch =>
        {
            using var http = factory.CreateClient();
            http.Timeout = RequestTimeout;
            http.As(Ledger.Contracts.Roles.Teller);
            var results = new List<(KeyedCommand Command, Outcome Outcome)>();
            foreach (var command in batch)
            {
                results.Add((command, await KeyedRetries.SendAsync(http, command, attemptsMax: 40, TimeSpan.FromMilliseconds(250))));
            }

            return results;
        }));
        var loadTime = clock.Elapsed;
        await clientsDone.CancelAsync();
        var terminated = await terminator;

        var all = outcomes.SelectMany(batch => batch).ToList();
        terminated.Should().BeGreaterThan(0, "connections must have been ended while the clients ran");
        all.Sum(result => result.Outcome.Attempts).Should().BeGreaterThan(all.Count, "some commands met an ended connection and were retried");
        all.Sum(result => result.Outcome.TimedOut).Should().Be(0, "no request may hang past the client's timeout of {0}", RequestTimeout);
        all.Count(result => result.Outcome.Acknowledged).Should().BeGreaterThan(all.Count * 9 / 10,
            "retries with the key get through between terminations; got {0}", all.Where(result => !result.Outcome.Acknowledged));

        // A command whose attempts ran out may or may not have taken effect; its key settles which, once the database stays.
        using (var http = factory.CreateClient())
        {
            http.Timeout = RequestTimeout;
            http.As(Ledger.Contracts.Roles.Teller);
            foreach (var (command, _) in all.Where(result => !result.Outcome.Acknowledged))
            {
                (await KeyedRetries.SendAsync(http, command, attemptsMax: 60, TimeSpan.FromMilliseconds(250))).Acknowledged.Should().BeTrue();
            }
        }

        // Connections ended while idle in the API's pools are found broken on their next use (a 503 to retry): read
        // until every read of the checks below succeeds in one pass.
        await Eventually.HoldsAsync(async () =>
        {
            var answers = await Task.WhenAll(accounts.Select(id => auditor.GetAsync($"{Teller.AccountsPath}/{id}/integrity"))
                .Append(teller.GetAsync($"{Teller.AccountsPath}/{accounts[0]}")).Append(auditor.GetAsync("/api/v1/ledger/balances")));
            var served = answers.All(answer => answer.IsSuccessStatusCode);
            answers.Should().OnlyContain(answer => answer.IsSuccessStatusCode || (int)answer.StatusCode == 503);
            foreach (var answer in answers)
            {
                answer.Dispose();
            }

            return served;
        }, "reads to be served once the terminations stopped");

        var balances = KeyedRetries.ExpectedBalances(accounts.ToDictionary(id => id, _ => Opening), all.Select(result => result.Command));
        var versions = KeyedRetries.ExpectedVersions(accounts.ToDictionary(id => id, _ => 2L), all.Select(result => result.Command));
        foreach (var accountId in accounts)
        {
            var view = await teller.GetAccountAsync(accountId);
            (view.GetProperty("balance").GetDecimal(), view.GetProperty("version").GetInt64()).Should()
                .Be((balances[accountId], versions[accountId]), "every acknowledged command took effect exactly once on {0}", accountId);
            var integrity = await auditor.IntegrityAsync(accountId);
            integrity.GetProperty("valid").GetBoolean().Should().BeTrue("got {0}", integrity);
        }

        var trial = await auditor.BalancesAsync();
        ShouldBeBalanced(trial);
        Figures(Totals(trial, "PLN")!.Value).Should().Be((Accounts, balances.Values.Sum(),
            Accounts * Opening + all.Where(result => result.Command.Debit is null).Sum(result => result.Command.Amount), 0m));
    }

    /// <summary>
    /// Ends every other connection to the database, again every 0.5 to 1 s until stopped; returns how many it ended. Not
    /// faster: each round also breaks the connections idle in the API's pools, which a request only finds broken when it
    /// uses them, so a command retried between two rounds meets the broken ones first.
    /// </summary>
    private static async Task<long> TerminateBackendsAsync(string connectionString, CancellationToken stop)
    {
        var terminated = 0L;
        connectionString = new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;
        while (!stop.IsCancellationRequested)
        {
            terminated += await Sql.ScalarAsync<long>(connectionString,
                "select count(*) filter (where pg_terminate_backend(pid)) from pg_stat_activity " +
                "where datname = current_database() and pid <> pg_backend_pid()");
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(500, 1000)), stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return terminated;
    }
}
