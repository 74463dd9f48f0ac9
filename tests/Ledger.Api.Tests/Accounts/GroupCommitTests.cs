using System.Net;
using Ledger.Api.Infrastructure;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Contracts;
using Ledger.EventStore.MartenStorage;
using Ledger.EventStore.Transfers;
using Ledger.Testing;
using Marten;
using Marten.Services;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Ledger.Api.Tests.Accounts;

/// <summary>
/// Commands on existing accounts commit in groups (ADR-018): those waiting while a transaction runs go into the next one
/// together, each with its own outcome and its own caller on its events. These tests stop every append of their database to
/// make commands wait, so they get a database and an API of their own, with one writer so that the waiting is exact.
/// </summary>
public sealed class GroupCommitTests(GroupCommitFixture fixture) : IClassFixture<GroupCommitFixture>
{
    private const string CorrelationHeader = "X-Correlation-Id";
    private const string KeyHeader = IdempotencyFilter.KeyHeader;

    [Fact]
    public async Task CommandsWaitingTogether_CommitInOneTransaction_EachWithItsOwnOutcomeAndCaller()
    {
        var setup = fixture.TellerAs("setup");
        var a = await setup.OpenFundedAccountAsync("50.00");
        var b = await setup.OpenFundedAccountAsync("100.00");
        var c = await setup.OpenAccountAsync();
        var head = await fixture.HeadAsync();

        Task<HttpResponseMessage> blocker, firstWithdrawal, secondWithdrawal, transfer;
        await using (await fixture.StopAppendsAsync())
        {
            blocker = fixture.TellerAs("teller-0").DepositRawAsync(c, """{ "amount": "1.00" }""", (CorrelationHeader, "blocker"));
            await LockWaiters.WaitForAsync(fixture.Api.ConnectionString, 1);
            // Of two withdrawals of 30.00 from 50.00, whichever the batch decides second finds 20.00: it fails alone.
            firstWithdrawal = fixture.TellerAs("teller-1").WithdrawRawAsync(a, """{ "amount": "30.00" }""", (CorrelationHeader, "withdrawal-1"));
            secondWithdrawal = fixture.TellerAs("teller-2").WithdrawRawAsync(a, """{ "amount": "30.00" }""", (CorrelationHeader, "withdrawal-2"));
            transfer = fixture.TellerAs("teller-3").PostJsonAsync(Teller.TransfersPath,
                Teller.Json(new { fromAccountId = b, toAccountId = c, amount = "10.00" }), (CorrelationHeader, "transfer"));
            await fixture.WaitForWaitingCommandsAsync(3);
        }

        using (var response = await blocker)
        {
            await Teller.Expect(response, HttpStatusCode.OK);
        }

        using var first = await firstWithdrawal;
        using var second = await secondWithdrawal;
        var (winner, loser, winnerCorrelation) = first.StatusCode == HttpStatusCode.OK
            ? (first, second, "withdrawal-1=teller-1")
            : (second, first, "withdrawal-2=teller-2");
        (await Teller.Expect(winner, HttpStatusCode.OK)).GetProperty("balance").GetDecimal().Should().Be(20.00m);
        await Teller.ExpectProblem(loser, HttpStatusCode.UnprocessableEntity, ProblemTypes.InsufficientFunds);
        using (var response = await transfer)
        {
            (await Teller.Expect(response, HttpStatusCode.Created)).GetProperty("toBalance").GetDecimal().Should().Be(11.00m);
        }

        (await setup.BalanceAsync(a)).Should().Be(20.00m);
        (await setup.BalanceAsync(b)).Should().Be(90.00m);
        (await setup.BalanceAsync(c)).Should().Be(11.00m);

        // The blocker's transaction, then one for the three waiting commands; every event names its own request and caller.
        (await Sql.ScalarAsync<long>(fixture.Api.ConnectionString,
            $"select count(*) from {MartenTables.Events} where seq_id > $1", head)).Should().Be(4);
        (await Sql.ScalarAsync<long>(fixture.Api.ConnectionString,
            $"select count(distinct xmin::text) from {MartenTables.Events} where seq_id > $1", head)).Should().Be(2);
        (await Sql.ScalarAsync<string>(fixture.Api.ConnectionString,
                $"select string_agg(correlation_id || '=' || user_name || '=' || (headers ->> 'actorRole'), ',' order by correlation_id, stream_id) " +
                $"from {MartenTables.Events} where seq_id > $1", head))
            .Should().Be(string.Join(',',
                new[] { "blocker=teller-0=teller", "transfer=teller-3=teller", "transfer=teller-3=teller", $"{winnerCorrelation}=teller" }));
    }

    [Fact]
    public async Task ATransferIdBookedElsewhereWhileItsBatchWrites_FailsThatTransferAlone_AndTheRestOfTheBatchCommits()
    {
        var teller = fixture.TellerAs("teller-1");
        var a = await teller.OpenAccountAsync();
        var b = await teller.OpenFundedAccountAsync("100.00");
        var c = await teller.OpenAccountAsync();
        var transferId = Guid.NewGuid();

        // Another node books the same transfer id between other accounts; its transaction is still open.
        await using var elsewhere = await fixture.BookUncommittedAsync(new TransferReceipt(transferId, Guid.NewGuid(), Guid.NewGuid(), 100, "EUR",
            null, 0, 100, DateTimeOffset.UtcNow));

        Task<HttpResponseMessage> blocker, deposit, duplicate, withdrawal;
        await using (await fixture.StopAppendsAsync())
        {
            blocker = teller.DepositRawAsync(a, """{ "amount": "1.00" }""");
            await LockWaiters.WaitForAsync(fixture.Api.ConnectionString, 1);
            deposit = teller.DepositRawAsync(c, """{ "amount": "5.00" }""");
            duplicate = teller.TransferRawAsync(new { transferId, fromAccountId = b, toAccountId = c, amount = "10.00" });
            withdrawal = teller.WithdrawRawAsync(b, """{ "amount": "1.00" }""");
            await fixture.WaitForWaitingCommandsAsync(3);
        }

        using (var response = await blocker)
        {
            await Teller.Expect(response, HttpStatusCode.OK);
        }

        // The batch of three now waits on the other node's receipt; that node commits, and the batch's insert fails.
        await LockWaiters.WaitForAsync(fixture.Api.ConnectionString, 1);
        await elsewhere.CommitAsync();

        using (var response = await duplicate)
        {
            await Teller.ExpectProblem(response, HttpStatusCode.Conflict, ProblemTypes.TransferAlreadyExists);
        }

        using (var response = await deposit)
        {
            (await Teller.Expect(response, HttpStatusCode.OK)).GetProperty("balance").GetDecimal().Should().Be(5.00m);
        }

        using (var response = await withdrawal)
        {
            (await Teller.Expect(response, HttpStatusCode.OK)).GetProperty("balance").GetDecimal().Should().Be(99.00m);
        }

        (await teller.StateAsync(b)).Should().Be(("99.00", 3L));
        (await teller.StateAsync(c)).Should().Be(("5.00", 2L));
    }

    [Fact]
    public async Task ABatchWaitingPastTheTimeLimit_AnswersItsCommandsBusy_AndCommitsNothing()
    {
        var teller = fixture.TellerAs("teller-1", fixture.TimeLimited);
        var a = await teller.OpenFundedAccountAsync("10.00");
        var head = await fixture.HeadAsync();

        Task<HttpResponseMessage> blocker, waiting;
        await using (await fixture.StopAppendsAsync())
        {
            blocker = teller.DepositRawAsync(a, """{ "amount": "1.00" }""");
            await LockWaiters.WaitForAsync(fixture.Api.ConnectionString, 1);
            waiting = teller.WithdrawRawAsync(a, """{ "amount": "2.00" }""");
            // The blocker's batch gives up its lock wait at the limit; the next batch, with the withdrawal, too.
            using (var response = await blocker)
            {
                await Teller.ExpectProblem(response, HttpStatusCode.ServiceUnavailable, "/problems/busy");
            }

            using (var response = await waiting)
            {
                await Teller.ExpectProblem(response, HttpStatusCode.ServiceUnavailable, "/problems/busy");
            }
        }

        // With appends free again, a new command commits at once, and nothing of the two abandoned batches ever does.
        (await teller.WithdrawAsync(a, "3.00")).GetProperty("balance").GetDecimal().Should().Be(7.00m);
        (await teller.StateAsync(a)).Should().Be(("7.00", 3L));
        (await Sql.ScalarAsync<long>(fixture.Api.ConnectionString, $"select count(*) from {MartenTables.Events} where seq_id > $1", head))
            .Should().Be(1);
    }

    [Fact]
    public async Task ACommandGivenUpBeforeAWriterTookIt_NeverRuns()
    {
        var teller = fixture.TellerAs("teller-1");
        var a = await teller.OpenFundedAccountAsync("10.00");

        Task<HttpResponseMessage> blocker;
        await using (await fixture.StopAppendsAsync())
        {
            blocker = teller.DepositRawAsync(a, """{ "amount": "1.00" }""");
            await LockWaiters.WaitForAsync(fixture.Api.ConnectionString, 1);
            using var giveUp = new CancellationTokenSource();
            var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"{Teller.AccountsPath}/{a}/withdrawals", UriKind.Relative))
            {
                Content = new StringContent("""{ "amount": "2.00" }""", System.Text.Encoding.UTF8, "application/json"),
            };
            var withdrawal = teller.Http.SendAsync(request, giveUp.Token);
            await fixture.WaitForWaitingCommandsAsync(1);
            await giveUp.CancelAsync();
            await FluentActions.Awaiting(() => withdrawal).Should().ThrowAsync<OperationCanceledException>();
        }

        using (var response = await blocker)
        {
            await Teller.Expect(response, HttpStatusCode.OK);
        }

        // The writer reaches the given-up withdrawal after the blocker's batch, and leaves it: only the deposits ever commit.
        (await teller.DepositAsync(a, "5.00")).GetProperty("balance").GetDecimal().Should().Be(16.00m);
        (await teller.StateAsync(a)).Should().Be(("16.00", 4L));
    }

    [Fact]
    public async Task CommandsBeyondAFullQueue_AreAnsweredBusyAtOnce_AndNeverRun()
    {
        var teller = fixture.TellerAs("teller-1", fixture.Bounded);
        var a = await teller.OpenFundedAccountAsync("10.00");
        var b = await teller.OpenFundedAccountAsync("10.00");
        var head = await fixture.HeadAsync();
        var key = (KeyHeader, $"full-{Guid.NewGuid():N}");

        Task<HttpResponseMessage> blocker, deposit, withdrawal;
        await using (await fixture.StopAppendsAsync())
        {
            blocker = teller.DepositRawAsync(a, """{ "amount": "1.00" }""");
            await LockWaiters.WaitForAsync(fixture.Api.ConnectionString, 1);
            // One at a time, so that the batch decides them in this order.
            deposit = teller.DepositRawAsync(a, """{ "amount": "2.00" }""");
            await fixture.WaitForWaitingCommandsAsync(1, fixture.Bounded);
            withdrawal = teller.WithdrawRawAsync(a, """{ "amount": "3.00" }""");
            await fixture.WaitForWaitingCommandsAsync(GroupCommitFixture.QueueLengthMax, fixture.Bounded);

            // The queue holds its two commands: a deposit, a withdrawal and a transfer beyond it are refused while appends
            // are still stopped, so they waited for nothing.
            using (var refused = await teller.DepositRawAsync(b, """{ "amount": "4.00" }""", key))
            {
                await ExpectQueueFullAsync(refused);
            }

            using (var refused = await teller.WithdrawRawAsync(b, """{ "amount": "5.00" }"""))
            {
                await ExpectQueueFullAsync(refused);
            }

            using (var refused = await teller.TransferRawAsync(new { fromAccountId = b, toAccountId = a, amount = "6.00" }))
            {
                await ExpectQueueFullAsync(refused);
            }
        }

        using (var response = await blocker)
        {
            (await Teller.Expect(response, HttpStatusCode.OK)).GetProperty("balance").GetDecimal().Should().Be(11.00m);
        }

        using (var response = await deposit)
        {
            (await Teller.Expect(response, HttpStatusCode.OK)).GetProperty("balance").GetDecimal().Should().Be(13.00m);
        }

        using (var response = await withdrawal)
        {
            (await Teller.Expect(response, HttpStatusCode.OK)).GetProperty("balance").GetDecimal().Should().Be(10.00m);
        }

        // Only the blocker and the two queued commands committed; the refused ones left no event and no answer under their key.
        (await Sql.ScalarAsync<long>(fixture.Api.ConnectionString, $"select count(*) from {MartenTables.Events} where seq_id > $1", head))
            .Should().Be(3);
        (await teller.StateAsync(a)).Should().Be(("10.00", 5L));
        (await teller.StateAsync(b)).Should().Be(("10.00", 2L));
        using (var retry = await teller.DepositRawAsync(b, """{ "amount": "4.00" }""", key))
        {
            (await Teller.Expect(retry, HttpStatusCode.OK)).GetProperty("balance").GetDecimal().Should().Be(14.00m);
            retry.Headers.Contains(IdempotencyFilter.ReplayedHeader).Should().BeFalse("the refused request had no effect and freed its key");
        }
    }

    [Fact]
    public async Task CommandsAfterTheGroupCommitBeganStopping_AreAnsweredBusy_AndNeverRun()
    {
        // A host of its own: its group commit is stopped for good.
        using var host = fixture.OneWriter.WithWebHostBuilder(_ => { });
        var teller = fixture.TellerAs("teller-1", host);
        var a = await teller.OpenFundedAccountAsync("10.00");
        var b = await teller.OpenFundedAccountAsync("10.00");
        var group = host.Services.GetRequiredService<GroupCommit>();

        Task stopped;
        Task<HttpResponseMessage> blocker, queued;
        await using (await fixture.StopAppendsAsync())
        {
            blocker = teller.DepositRawAsync(a, """{ "amount": "1.00" }""");
            await LockWaiters.WaitForAsync(fixture.Api.ConnectionString, 1);
            stopped = group.StopAsync(CancellationToken.None);
            // The writer is inside the blocker's batch: the service is stopping, not yet stopped, and still takes commands in.
            queued = teller.WithdrawRawAsync(a, """{ "amount": "2.00" }""", (KeyHeader, $"stopping-{Guid.NewGuid():N}"));
            await host.Services.WaitForWaitingCommandsAsync(1);
            stopped.IsCompleted.Should().BeFalse("the writer finishes the batch it took before the service stops");
        }

        await stopped;
        using (var response = await blocker)
        {
            (await Teller.Expect(response, HttpStatusCode.OK)).GetProperty("balance").GetDecimal().Should().Be(11.00m);
        }

        using (var response = await queued)
        {
            await ExpectStoppingAsync(response);
        }

        using (var late = await teller.TransferRawAsync(new { fromAccountId = b, toAccountId = a, amount = "3.00" }))
        {
            await ExpectStoppingAsync(late);
        }

        (await teller.StateAsync(a)).Should().Be(("11.00", 3L));
        (await teller.StateAsync(b)).Should().Be(("10.00", 2L));
    }

    [Theory]
    [InlineData(nameof(GroupCommitOptions.BatchSizeMax), "0", "GroupCommit:BatchSizeMax must be 1 to 1000, not 0.")]
    [InlineData(nameof(GroupCommitOptions.BatchSizeMax), "1001", "GroupCommit:BatchSizeMax must be 1 to 1000, not 1001.")]
    [InlineData(nameof(GroupCommitOptions.Writers), "0", "GroupCommit:Writers must be 1 to 16, not 0.")]
    [InlineData(nameof(GroupCommitOptions.Writers), "17", "GroupCommit:Writers must be 1 to 16, not 17.")]
    [InlineData(nameof(GroupCommitOptions.QueueLengthMax), "0", "GroupCommit:QueueLengthMax must be at least GroupCommit:BatchSizeMax (64), not 0.")]
    [InlineData(nameof(GroupCommitOptions.QueueLengthMax), "63", "GroupCommit:QueueLengthMax must be at least GroupCommit:BatchSizeMax (64), not 63.")]
    public void InvalidSettings_AreRefusedAtStartup_NamingTheSetting(string setting, string value, string failure)
    {
        using var host = fixture.Api.WithWebHostBuilder(builder => builder.UseSetting($"{GroupCommitOptions.Section}:{setting}", value));

        var act = () => host.CreateClient();

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().Equal(failure);
    }

    [Fact]
    public async Task ACommandWhoseKeyWasTakenOverInItsBatch_IsAnsweredConflict_AndTheBatchCommitsWithoutIt()
    {
        var teller = fixture.TellerAs("teller-1", fixture.Fenced);
        var a = await teller.OpenAccountAsync();
        var other = await teller.OpenAccountAsync();
        var head = await fixture.HeadAsync();
        var (firstKey, takenKey, thirdKey) = ($"batch-1-{Guid.NewGuid():N}", $"batch-2-{Guid.NewGuid():N}", $"batch-3-{Guid.NewGuid():N}");

        Task<HttpResponseMessage> blocker, first, taken, third, retry;
        await using (await fixture.StopAppendsAsync())
        {
            blocker = teller.DepositRawAsync(other, """{ "amount": "1.00" }""");
            await LockWaiters.WaitForAsync(fixture.Api.ConnectionString, 1);
            // One at a time, so that the batch decides them in this order.
            first = teller.DepositRawAsync(a, """{ "amount": "1.00" }""", (KeyHeader, firstKey));
            await fixture.WaitForWaitingCommandsAsync(1, fixture.Fenced);
            taken = teller.DepositRawAsync(a, """{ "amount": "2.00" }""", (KeyHeader, takenKey));
            await fixture.WaitForWaitingCommandsAsync(2, fixture.Fenced);
            third = teller.DepositRawAsync(a, """{ "amount": "4.00" }""", (KeyHeader, thirdKey));
            await fixture.WaitForWaitingCommandsAsync(3, fixture.Fenced);
            // The three leases run out while they wait; a retry of the second takes its key over and queues behind them.
            fixture.Clock.Advance(new IdempotencyOptions().Lease + TimeSpan.FromSeconds(1));
            retry = teller.DepositRawAsync(a, """{ "amount": "2.00" }""", (KeyHeader, takenKey));
            await fixture.WaitForWaitingCommandsAsync(4, fixture.Fenced);
        }

        using (var response = await blocker)
        {
            await Teller.Expect(response, HttpStatusCode.OK);
        }

        // The batch of four finds the second's key taken over: that one is told so, and the other three commit without it,
        // each deciding on the balance the commands before it left.
        using (var response = await taken)
        {
            await Teller.ExpectProblem(response, HttpStatusCode.Conflict, "/problems/idempotency-key-in-flight");
        }

        using (var response = await first)
        {
            (await Teller.Expect(response, HttpStatusCode.OK)).GetProperty("balance").GetDecimal().Should().Be(1.00m);
        }

        using (var response = await third)
        {
            (await Teller.Expect(response, HttpStatusCode.OK)).GetProperty("balance").GetDecimal().Should().Be(5.00m);
        }

        using (var response = await retry)
        {
            (await Teller.Expect(response, HttpStatusCode.OK)).GetProperty("balance").GetDecimal().Should().Be(7.00m);
        }

        (await teller.StateAsync(a)).Should().Be(("7.00", 4L));
        (await Sql.ScalarAsync<long>(fixture.Api.ConnectionString,
            $"select count(distinct xmin::text) from {MartenTables.Events} where seq_id > $1 and stream_id = $2", head, a)).Should().Be(1);
        using (var replay = await teller.DepositRawAsync(a, """{ "amount": "2.00" }""", (KeyHeader, takenKey)))
        {
            (await Teller.Expect(replay, HttpStatusCode.OK)).GetProperty("balance").GetDecimal().Should().Be(7.00m);
            replay.Headers.Contains(IdempotencyFilter.ReplayedHeader).Should().BeTrue("the key holds the answer of the retry that took it over");
        }
    }

    private static async Task ExpectQueueFullAsync(HttpResponseMessage response)
    {
        var problem = await Teller.ExpectProblem(response, HttpStatusCode.ServiceUnavailable, "/problems/busy");
        problem.GetProperty("detail").GetString().Should().Contain("too many commands waiting");
        response.Headers.RetryAfter.Should().NotBeNull("every 503 says when to come back");
    }

    private static async Task ExpectStoppingAsync(HttpResponseMessage response)
    {
        var problem = await Teller.ExpectProblem(response, HttpStatusCode.ServiceUnavailable, "/problems/busy");
        problem.GetProperty("detail").GetString().Should().Contain("stopping");
    }
}

public sealed class GroupCommitFixture : IDisposable
{
    public GroupCommitFixture()
    {
        OneWriter = Api.WithWebHostBuilder(builder => builder
            .UseSetting("Projections:RunAsync", "false")
            .UseSetting($"{GroupCommitOptions.Section}:{nameof(GroupCommitOptions.Writers)}", "1"));
        TimeLimited = OneWriter.WithWebHostBuilder(builder => builder.UseSetting("Commands:TimeLimit", "00:00:01"));
        Bounded = OneWriter.WithWebHostBuilder(builder => builder
            .UseSetting($"{GroupCommitOptions.Section}:{nameof(GroupCommitOptions.BatchSizeMax)}", $"{QueueLengthMax}")
            .UseSetting($"{GroupCommitOptions.Section}:{nameof(GroupCommitOptions.QueueLengthMax)}", $"{QueueLengthMax}"));
        Fenced = OneWriter.WithWebHostBuilder(builder => builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock)));
    }

    /// <summary>The queue length (and batch size) of <see cref="Bounded"/>.</summary>
    public const int QueueLengthMax = 2;

    public LedgerApiFactory Api { get; } = new();

    public WebApplicationFactory<Program> OneWriter { get; }

    /// <summary>One writer, and commands abandoned after one second.</summary>
    public WebApplicationFactory<Program> TimeLimited { get; }

    /// <summary>One writer, and room for <see cref="QueueLengthMax"/> commands waiting for it.</summary>
    public WebApplicationFactory<Program> Bounded { get; }

    /// <summary>One writer, with a clock the test moves (idempotency leases run out without waiting).</summary>
    public WebApplicationFactory<Program> Fenced { get; }

    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    public void Dispose()
    {
        Fenced.Dispose();
        Bounded.Dispose();
        TimeLimited.Dispose();
        OneWriter.Dispose();
        Api.Dispose();
    }

    public Teller TellerAs(string subject, WebApplicationFactory<Program>? host = null)
    {
        var teller = new Teller((host ?? OneWriter).CreateClient());
        teller.Http.As(Roles.Teller, subject);
        return teller;
    }

    public Task<long> HeadAsync() => Sql.ScalarAsync<long>(Api.ConnectionString, $"select {MartenTables.HeadSql}");

    /// <summary>Waits until the API (<see cref="OneWriter"/> unless given) has this many commands queued for its writers.</summary>
    public Task WaitForWaitingCommandsAsync(int count, WebApplicationFactory<Program>? host = null) =>
        (host ?? OneWriter).Services.WaitForWaitingCommandsAsync(count);

    /// <summary>Stops every append of the database, as a projection switch does, until disposed.</summary>
    public async Task<IAsyncDisposable> StopAppendsAsync()
    {
        var connection = new NpgsqlConnection(Api.ConnectionString);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using var stop = new NpgsqlCommand(MartenTables.StopAppends, connection, transaction);
        await stop.ExecuteNonQueryAsync();
        return connection;
    }

    /// <summary>Inserts the receipt through Marten in a transaction of its own, left open: commit it, or dispose to roll back.</summary>
    public async Task<OpenTransaction> BookUncommittedAsync(TransferReceipt receipt)
    {
        var connection = new NpgsqlConnection(Api.ConnectionString);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        var store = OneWriter.Services.GetRequiredService<IDocumentStore>();
        await using (var session = store.LightweightSession(SessionOptions.ForTransaction(transaction)))
        {
            session.Insert(receipt);
            await session.SaveChangesAsync();
        }

        return new OpenTransaction(connection, transaction);
    }

    public sealed class OpenTransaction(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
    {
        public Task CommitAsync() => transaction.CommitAsync();

        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
