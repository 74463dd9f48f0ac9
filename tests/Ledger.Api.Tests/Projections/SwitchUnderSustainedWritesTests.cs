using System.Collections.Concurrent;
using System.Net;
using Ledger.Testing;

namespace Ledger.Api.Tests.Projections;

/// <summary>
/// A rebuild's switch while tellers write without pause (not one burst): the switch must get its locks and complete, and
/// no teller may get a server error from it, only a success, a business refusal or a 503 that says when to retry.
/// </summary>
[Collection(ProjectionsGroup.Name)]
public sealed class SwitchUnderSustainedWritesTests(ProjectionsFixture fixture)
{
    private const int Writers = 8;
    private const int AccountCount = 8;

    private readonly Teller _teller = fixture.Teller;

    private readonly Auditor _auditor = fixture.Auditor;

    [Fact]
    public async Task RebuildsWhileTellersTransferNonStop_SwitchAndNoTellerGetsAServerError()
    {
        var accounts = await Task.WhenAll(Enumerable.Range(0, AccountCount).Select(_ => _teller.OpenFundedAccountAsync("100000.00")));
        await using var load = new TellerLoad(_teller, accounts);
        load.Start(Writers);
        await load.WaitForCompletedAsync(Writers * 5);

        foreach (var name in new[] { "accounts", "account-entries" })
        {
            var before = load.Completed;
            var rebuild = await fixture.WaitForRebuildAsync(await fixture.StartRebuildAsync(name));
            rebuild.GetProperty("state").GetString().Should().Be("succeeded", "got {0}", rebuild);
            // The writes went on for the whole rebuild, switch included: the load keeps going after it as well.
            await load.WaitForCompletedAsync(before + Writers);
        }

        await load.StopAsync();
        load.Unexpected.Should().BeEmpty();
        foreach (var name in new[] { "accounts", "account-entries" })
        {
            (await fixture.VerifyAsync(name)).Identical.Should().BeTrue(name);
        }

        foreach (var accountId in accounts)
        {
            var integrity = await _auditor.IntegrityAsync(accountId);
            integrity.GetProperty("valid").GetBoolean().Should().BeTrue("got {0}", integrity);
        }

        (await _auditor.BalancesAsync()).GetProperty("balanced").GetBoolean().Should().BeTrue();
    }

    [Fact]
    public async Task TellerChosenAsADeadlockVictim_GetsBusyWithRetryAfter_AndNothingIsWritten()
    {
        var x = await _teller.OpenFundedAccountAsync("10.00");
        var y = await _teller.OpenFundedAccountAsync("10.00");
        // A transfer locks its streams in ascending id order: it gets the first and waits for the second, held here.
        var (first, second) = x.CompareTo(y) < 0 ? (x, y) : (y, x);
        await using var holder = await fixture.DataSource.OpenConnectionAsync();
        await using var hold = await holder.BeginTransactionAsync();
        await LockStreamAsync(holder, second);
        var transfer = _teller.TransferRawAsync(new { fromAccountId = first, toAccountId = second, amount = "1.00" });
        await WaitForLockWaitersAsync(1);

        // Closing the cycle: the transfer has waited longer, so its deadlock check runs first and rolls it back.
        await LockStreamAsync(holder, first);
        using var response = await transfer;
        await hold.RollbackAsync();

        await Teller.ExpectProblem(response, HttpStatusCode.ServiceUnavailable, "/problems/busy");
        response.Headers.RetryAfter.Should().NotBeNull();
        (await _teller.BalanceAsync(first)).Should().Be(10.00m);
        (await _teller.BalanceAsync(second)).Should().Be(10.00m);
        using var retry = await _teller.TransferRawAsync(new { fromAccountId = first, toAccountId = second, amount = "1.00" });
        retry.StatusCode.Should().Be(HttpStatusCode.Created, "the retry the 503 asks for succeeds");
    }

    private static async Task LockStreamAsync(Npgsql.NpgsqlConnection connection, Guid streamId)
    {
        await using var command = new Npgsql.NpgsqlCommand("select 1 from ledger.mt_streams where id = $1 for update", connection)
        {
            Parameters = { new Npgsql.NpgsqlParameter { Value = streamId } },
        };
        await command.ExecuteNonQueryAsync();
    }

    private Task WaitForLockWaitersAsync(long count) => LockWaiters.WaitForAsync(fixture.Factory.ConnectionString, count);

    /// <summary>Tellers transferring between random accounts in a loop, each answer checked, until stopped.</summary>
    private sealed class TellerLoad(Teller teller, IReadOnlyList<Guid> accounts) : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Task> _writers = [];
        private long _completed;

        public ConcurrentQueue<string> Unexpected { get; } = new();

        public long Completed => Interlocked.Read(ref _completed);

        public void Start(int writers) =>
            _writers.AddRange(Enumerable.Range(0, writers).Select(seed => Task.Run(() => WriteAsync(new Random(seed)))));

        public async Task WaitForCompletedAsync(long count)
        {
            // A writer that stopped (an unexpected answer) ends the wait early; the assertion below then says why.
            await Eventually.HoldsAsync(() => Task.FromResult(Completed >= count || _writers.Any(w => w.IsCompleted)),
                $"{count} transfers completed");
            Completed.Should().BeGreaterThanOrEqualTo(count, "the tellers keep writing (unexpected answers: {0})", string.Join("; ", Unexpected));
        }

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_writers);
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            _stop.Dispose();
        }

        private async Task WriteAsync(Random random)
        {
            while (!_stop.IsCancellationRequested)
            {
                var from = accounts[random.Next(accounts.Count)];
                var to = accounts.Where(id => id != from).ElementAt(random.Next(accounts.Count - 1));
                using var response = await teller.TransferRawAsync(new { fromAccountId = from, toAccountId = to, amount = $"{random.Next(1, 20)}.00" });
                var busyWithRetryAfter = response.StatusCode == HttpStatusCode.ServiceUnavailable && response.Headers.RetryAfter is not null;
                if (response.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.UnprocessableEntity) && !busyWithRetryAfter)
                {
                    Unexpected.Enqueue($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                }

                Interlocked.Increment(ref _completed);
            }
        }
    }
}
