using System.Net;
using Ledger.EventStore.Projections;
using Ledger.Testing;
using Npgsql;

namespace Ledger.Api.Tests.Projections;

/// <summary>
/// Rebuild and verification by replay: a rebuild equals the live model, verification catches a tampered row, a rebuild
/// during concurrent writes ends consistent, a cancelled rebuild leaves the old model serving.
/// </summary>
[Collection(ProjectionsGroup.Name)]
public sealed class ProjectionRebuildTests(ProjectionsFixture fixture)
{
    public static TheoryData<string> Names => new(ProjectionCatalog.Ledger.All.Select(p => p.Name));

    private readonly Teller _teller = fixture.Teller;

    private readonly Analyst _analyst = fixture.Analyst;

    private readonly Auditor _auditor = fixture.Auditor;

    [Theory]
    [MemberData(nameof(Names))]
    public async Task RebuildOverHttp_EqualsTheLiveModel_AndVerifiesIdentical(string name)
    {
        await LedgerHistory.ArrangeAsync(_teller, fixture.Writer);
        await fixture.WaitForReportsAsync();
        var before = await fixture.RowsAsync(name);
        before.Should().NotBeEmpty();

        var rebuild = await fixture.WaitForRebuildAsync(await fixture.StartRebuildAsync(name));

        rebuild.GetProperty("state").GetString().Should().Be("succeeded", "got {0}", rebuild);
        rebuild.GetProperty("progress").GetDouble().Should().Be(1);
        rebuild.GetProperty("eventsDone").GetInt64().Should().BeGreaterThan(0);
        rebuild.GetProperty("finishedAt").GetDateTimeOffset().Should().BeOnOrAfter(rebuild.GetProperty("startedAt").GetDateTimeOffset());
        rebuild.GetProperty("startedBy").GetString().Should().Be("test-analyst", "the journal records the caller's subject");
        (await fixture.RowsAsync(name)).Should().Equal(before);
        (await fixture.VerifyAsync(name)).Identical.Should().BeTrue();
        (await fixture.ScalarAsync<bool>($"select to_regclass('ledger.{ProjectionCatalog.Ledger.Find(name)!.Table}__rebuild') is null"))
            .Should().BeTrue("the shadow table is renamed into place");
    }

    [Fact]
    public async Task AfterRebuild_TheSwitchedTablesKeepServingAndTakingWrites()
    {
        var accounts = await LedgerHistory.ArrangeAsync(_teller, fixture.Writer, concurrentTransfers: 10);
        foreach (var projection in ProjectionCatalog.Ledger.All)
        {
            var rebuild = await fixture.WaitForRebuildAsync(await fixture.StartRebuildAsync(projection.Name));
            rebuild.GetProperty("state").GetString().Should().Be("succeeded", "got {0}", rebuild);
        }

        // Writes after the switch go to the new tables: the entry chain continues and the reports catch up.
        var balance = await _teller.BalanceAsync(accounts[0]);
        await _teller.DepositAsync(accounts[0], "1.00");
        (await _teller.BalanceAsync(accounts[0])).Should().Be(balance + 1.00m);
        var integrity = await _auditor.IntegrityAsync(accounts[0]);
        integrity.GetProperty("valid").GetBoolean().Should().BeTrue("got {0}", integrity);
        await fixture.WaitForReportsAsync();
        foreach (var projection in ProjectionCatalog.Ledger.All)
        {
            (await fixture.VerifyAsync(projection.Name)).Identical.Should().BeTrue(projection.Name);
        }
    }

    public static TheoryData<string, string, string> Tampering => new()
    {
        { "accounts", "update ledger.mt_doc_account set data = jsonb_set(data, '{balanceMinor}', '123456789') where id = $1", "{0}" },
        { "account-entries", "update ledger.account_entries set balance_after_minor = balance_after_minor + 1 where account_id = $1 and version = 2", "{0}/2" },
        { "account-activity", "update ledger.report_account_activity set event_count = event_count + 1 where account_id = $1", "{0}" },
        { "daily-volumes", "delete from ledger.report_daily_volumes where currency = 'JPY'", "" },
    };

    [Theory]
    [MemberData(nameof(Tampering))]
    public async Task Verify_FindsATamperedRow_AndARebuildRepairsIt(string name, string tamper, string differingId)
    {
        var accounts = await LedgerHistory.ArrangeAsync(_teller, fixture.Writer, concurrentTransfers: 10);
        await fixture.WaitForReportsAsync();
        (await fixture.VerifyAsync(name)).Identical.Should().BeTrue();
        var before = await fixture.RowsAsync(name);

        await fixture.ExecuteAsync(tamper, accounts[0]);
        var verdict = await fixture.VerifyAsync(name);

        verdict.Identical.Should().BeFalse();
        if (differingId.Length > 0)
        {
            verdict.Differences.Should().Be(1);
            verdict.DifferingIds.Should().Equal(string.Format(System.Globalization.CultureInfo.InvariantCulture, differingId, accounts[0]));
        }
        else
        {
            verdict.DifferingIds.Should().NotBeEmpty().And.OnlyContain(id => id.EndsWith("/JPY", StringComparison.Ordinal));
        }

        if (name == "account-entries")
        {
            // A rebuild recomputes the chain and must not hide the edit: the entry is put back by hand instead.
            await fixture.ExecuteAsync(
                "update ledger.account_entries set balance_after_minor = balance_after_minor - 1 where account_id = $1 and version = 2", accounts[0]);
        }
        else
        {
            var rebuild = await fixture.WaitForRebuildAsync(await fixture.StartRebuildAsync(name));
            rebuild.GetProperty("state").GetString().Should().Be("succeeded", "got {0}", rebuild);
        }

        (await fixture.RowsAsync(name)).Should().Equal(before);
        (await fixture.VerifyAsync(name)).Identical.Should().BeTrue();
    }

    [Fact]
    public async Task AccountEntriesRebuild_AfterAnEventWasEdited_RefusesAndChangesNothing()
    {
        var accounts = await LedgerHistory.ArrangeAsync(_teller, fixture.Writer, concurrentTransfers: 5);
        var before = await fixture.RowsAsync("account-entries");
        const string Edit = "update ledger.mt_events set data = jsonb_set(data, '{amountMinor}', to_jsonb((data->>'amountMinor')::bigint + $2)) " +
                            "where stream_id = $1 and version = 2";
        await fixture.ExecuteAsync(Edit, accounts[0], 1L);
        try
        {
            var rebuild = await fixture.WaitForRebuildAsync(await fixture.StartRebuildAsync("account-entries"));

            rebuild.GetProperty("state").GetString().Should().Be("failed");
            rebuild.GetProperty("error").GetString().Should().Contain($"account {accounts[0]} version 2").And.Contain("Nothing was changed");
            (await fixture.RowsAsync("account-entries")).Should().Equal(before);
        }
        finally
        {
            await fixture.ExecuteAsync(Edit, accounts[0], -1L);
        }
    }

    [Fact]
    public async Task RebuildDuringConcurrentWrites_EndsConsistent()
    {
        var accounts = await LedgerHistory.ArrangeAsync(_teller, fixture.Writer, concurrentTransfers: 10);
        var euro = accounts.Take(3).ToArray();
        var writes = new List<Task>();
        var random = new Random(11);

        Task WriteBatch(int count) => Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            var from = euro[i % 3];
            var to = euro[(i + 1 + (i / 3 % 2)) % 3];
            using var response = i % 4 == 0
                ? await _teller.DepositRawAsync(to, Teller.Json(new { amount = "5.00" }))
                : await _teller.TransferRawAsync(new { fromAccountId = from, toAccountId = to, amount = $"{random.Next(1, 50)}.00" });
            response.StatusCode.Should().BeOneOf(HttpStatusCode.OK, HttpStatusCode.Created, HttpStatusCode.UnprocessableEntity);
        }));

        // Writes land after the replay's snapshot (the run waits for them at its catch-up) and more keep coming while it switches.
        var progress = new InlineProgress<RebuildProgress>(p =>
        {
            if (p.Phase == RebuildPhase.CatchingUp && writes.Count == 0)
            {
                writes.Add(WriteBatch(40));
                writes[0].Wait(TimeSpan.FromSeconds(60)).Should().BeTrue();
                writes.Add(WriteBatch(40));
            }
        });
        foreach (var name in new[] { "account-entries", "accounts" })
        {
            writes.Clear();
            var outcome = await fixture.Rebuilder.RunAsync(Guid.NewGuid(), ProjectionCatalog.Ledger.Find(name)!, RebuildKind.Rebuild, "test", progress,
                CancellationToken.None);
            await Task.WhenAll(writes);
            outcome.Events.Should().BeGreaterThan(0);
            (await fixture.VerifyAsync(name)).Identical.Should().BeTrue(name);
        }

        foreach (var accountId in accounts)
        {
            var integrity = await _auditor.IntegrityAsync(accountId);
            integrity.GetProperty("valid").GetBoolean().Should().BeTrue("got {0}", integrity);
        }

        var ledger = await _auditor.BalancesAsync();
        ledger.GetProperty("balanced").GetBoolean().Should().BeTrue();
        await fixture.WaitForReportsAsync();
        foreach (var projection in ProjectionCatalog.Ledger.Async)
        {
            (await fixture.VerifyAsync(projection.Name)).Identical.Should().BeTrue(projection.Name);
        }
    }

    [Fact]
    public async Task SwitchBlockedByALongRead_RetriesWithoutStoppingTellers_AndCompletesWhenTheReadEnds()
    {
        var accounts = await LedgerHistory.ArrangeAsync(_teller, fixture.Writer, concurrentTransfers: 5);
        await using var reader = await fixture.DataSource.OpenConnectionAsync();
        await using var read = await reader.BeginTransactionAsync();
        await using (var hold = new Npgsql.NpgsqlCommand("lock table ledger.mt_doc_account in access share mode", reader, read))
        {
            await hold.ExecuteNonQueryAsync();
        }

        var rebuild = fixture.Rebuilder.RunAsync(Guid.NewGuid(), ProjectionCatalog.Ledger.Find("accounts")!, RebuildKind.Rebuild, "test", progress: null,
            CancellationToken.None);
        // The switch has reached the model's table once it waits for a lock there, held by the reader.
        await LockWaiters.WaitForAsync(fixture.Factory.ConnectionString, 1);

        rebuild.IsCompleted.Should().BeFalse("the switch waits for the reader instead of breaking its read");
        var balance = await _teller.BalanceAsync(accounts[0]);
        await _teller.DepositAsync(accounts[0], "3.00");
        (await _teller.BalanceAsync(accounts[0])).Should().Be(balance + 3.00m, "tellers keep working while the switch retries");
        await read.CommitAsync();

        (await rebuild).Events.Should().BeGreaterThan(0);
        (await fixture.VerifyAsync("accounts")).Identical.Should().BeTrue();
    }

    [Theory]
    [InlineData("account-entries", RebuildPhase.Replaying)]
    [InlineData("accounts", RebuildPhase.CatchingUp)]
    [InlineData("daily-volumes", RebuildPhase.Switching)]
    public async Task CancelledRebuild_LeavesTheOldModelServing(string name, RebuildPhase cancelAt)
    {
        var accounts = await LedgerHistory.ArrangeAsync(_teller, fixture.Writer, concurrentTransfers: 10);
        await fixture.WaitForReportsAsync();
        var before = await fixture.RowsAsync(name);
        var id = Guid.NewGuid();
        using var cancellation = new CancellationTokenSource();
        var progress = new InlineProgress<RebuildProgress>(p =>
        {
            if (p.Phase == cancelAt)
            {
                cancellation.Cancel();
            }
        });

        var run = () => fixture.Rebuilder.RunAsync(id, ProjectionCatalog.Ledger.Find(name)!, RebuildKind.Rebuild, "test", progress, cancellation.Token);

        await run.Should().ThrowAsync<OperationCanceledException>();
        (await fixture.RowsAsync(name)).Should().Equal(before);
        (await fixture.ScalarAsync<bool>($"select to_regclass('ledger.{ProjectionCatalog.Ledger.Find(name)!.Table}__rebuild') is null")).Should().BeTrue();
        var record = await fixture.GetOkAsync($"/api/v1/projections/{name}/rebuilds/{id}");
        record.GetProperty("state").GetString().Should().Be("cancelled");
        record.GetProperty("startedBy").GetString().Should().Be("test");
        await _teller.DepositAsync(accounts[0], "2.00");
        (await _auditor.IntegrityAsync(accounts[0])).GetProperty("valid").GetBoolean().Should().BeTrue();
        await fixture.WaitForReportsAsync();
        (await fixture.VerifyAsync(name)).Identical.Should().BeTrue();
    }

    [Fact]
    public async Task SecondRebuildWhileOneRuns_IsConflict()
    {
        await using var connection = await fixture.DataSource.OpenConnectionAsync();
        var held = await ProjectionLock.TryTakeAsync(connection, "account-activity", CancellationToken.None);
        held.Should().NotBeNull();

        using (var busy = await _analyst.StartRebuildRawAsync("account-activity"))
        {
            var problem = await Teller.ExpectProblem(busy, HttpStatusCode.Conflict, "/problems/rebuild-in-progress");
            problem.GetProperty("detail").GetString().Should().Contain("account-activity");
        }

        var list = await fixture.GetOkAsync("/api/v1/projections");
        list.EnumerateArray().Single(p => p.GetProperty("name").GetString() == "account-activity")
            .GetProperty("status").GetString().Should().Be("rebuilding");
        await held!.DisposeAsync();

        var rebuild = await fixture.WaitForRebuildAsync(await fixture.StartRebuildAsync("account-activity"));
        rebuild.GetProperty("state").GetString().Should().Be("succeeded");
    }

    [Fact]
    public async Task RunWhoseProcessDied_ShowsAbandonedAtOnce_AndTheNextRunProceeds()
    {
        await LedgerHistory.ArrangeAsync(_teller, fixture.Writer, concurrentTransfers: 5);
        var id = Guid.NewGuid();
        var location = new Uri($"/api/v1/projections/daily-volumes/rebuilds/{id}", UriKind.Relative);
        await using var lease = await fixture.Rebuilder.TryBeginAsync(id, ProjectionCatalog.Ledger.Find("daily-volumes")!, RebuildKind.Rebuild, "test",
            CancellationToken.None);
        lease.Should().NotBeNull();
        (await fixture.GetOkAsync(location.ToString())).GetProperty("state").GetString().Should().Be("running");

        // A killed process: its lock session ends without a word, as pg_terminate_backend ends it here.
        var pid = await fixture.ScalarAsync<int>("select lock_pid from ledger.projection_rebuilds where id = $1", id);
        (await fixture.ScalarAsync<bool>("select pg_terminate_backend($1, 10000)", pid)).Should().BeTrue();

        var view = await fixture.GetOkAsync(location.ToString());
        view.GetProperty("state").GetString().Should().Be("abandoned", "got {0}", view);
        view.GetProperty("error").GetString().Should().Contain("stopped");
        view.GetProperty("finishedAt").ValueKind.Should().Be(System.Text.Json.JsonValueKind.Null);
        (await fixture.GetOkAsync("/api/v1/projections")).EnumerateArray()
            .Single(p => p.GetProperty("name").GetString() == "daily-volumes").GetProperty("status").GetString().Should().NotBe("rebuilding");

        var next = await fixture.WaitForRebuildAsync(await fixture.StartRebuildAsync("daily-volumes"));
        next.GetProperty("state").GetString().Should().Be("succeeded", "got {0}", next);
        (await fixture.GetOkAsync(location.ToString())).GetProperty("state").GetString().Should().Be("failed", "the next run journals it");
    }

    [Fact]
    public async Task TwoRequestsAtOnce_StartOneRebuild()
    {
        await LedgerHistory.ArrangeAsync(_teller, fixture.Writer, concurrentTransfers: 5);
        var responses = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => _analyst.StartRebuildRawAsync("daily-volumes")));
        try
        {
            var statuses = responses.Select(r => r.StatusCode).ToList();
            // Both may be accepted only if the first finished before the second arrived; never two at the same time.
            if (!statuses.All(s => s == HttpStatusCode.Accepted))
            {
                statuses.Should().BeEquivalentTo([HttpStatusCode.Accepted, HttpStatusCode.Conflict]);
            }

            foreach (var accepted in responses.Where(r => r.StatusCode == HttpStatusCode.Accepted))
            {
                (await fixture.WaitForRebuildAsync(accepted.Headers.Location!)).GetProperty("state").GetString().Should().Be("succeeded");
            }
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }
    }

    [Fact]
    public async Task UnknownProjectionOrRebuild_IsNotFound()
    {
        using (var unknown = await _analyst.StartRebuildRawAsync("balances"))
        {
            var problem = await Teller.ExpectProblem(unknown, HttpStatusCode.NotFound, "/problems/projection-not-found");
            problem.GetProperty("detail").GetString().Should().Contain("accounts, account-entries, daily-volumes, account-activity");
        }

        using var missing = await _analyst.GetAsync($"/api/v1/projections/accounts/rebuilds/{Guid.NewGuid()}");
        await Teller.ExpectProblem(missing, HttpStatusCode.NotFound, "/problems/rebuild-not-found");
    }

    [Fact]
    public async Task List_ShowsAnAsyncProjectionBehind_AsCatchingUpWithItsLag()
    {
        var accountId = await _teller.OpenFundedAccountAsync("5.00");
        await fixture.WaitForReportsAsync();
        await using var holder = await fixture.DataSource.OpenConnectionAsync();
        await using var hold = await holder.BeginTransactionAsync();
        // Holding the position row keeps the runner from applying anything to daily-volumes.
        await AsyncProjectionRunner.LockPositionAsync(holder, "daily-volumes", CancellationToken.None);

        await _teller.DepositAsync(accountId, "1.00");
        await _teller.DepositAsync(accountId, "2.00");
        var list = await fixture.GetOkAsync("/api/v1/projections");

        var daily = list.EnumerateArray().Single(p => p.GetProperty("name").GetString() == "daily-volumes");
        daily.GetProperty("status").GetString().Should().Be("catching-up");
        daily.GetProperty("lag").GetInt64().Should().Be(2);
        daily.GetProperty("highWaterMark").GetInt64().Should().Be(daily.GetProperty("lastProcessedSequence").GetInt64() + 2);
        list.EnumerateArray().Single(p => p.GetProperty("name").GetString() == "accounts").GetProperty("lag").GetInt64().Should().Be(0);

        await hold.RollbackAsync();
        await fixture.WaitForReportsAsync();
    }

    [Fact]
    public async Task List_ShowsEveryProjectionWithItsLifecycleAndLag()
    {
        await LedgerHistory.ArrangeAsync(_teller, fixture.Writer, concurrentTransfers: 5);
        await fixture.WaitForReportsAsync();
        var head = await fixture.ScalarAsync<long>("select max(seq_id) from ledger.mt_events");

        var list = (await fixture.GetOkAsync("/api/v1/projections")).EnumerateArray().ToList();

        list.Select(p => (p.GetProperty("name").GetString(), p.GetProperty("lifecycle").GetString())).Should().Equal(
            ("accounts", "inline"), ("account-entries", "inline"), ("daily-volumes", "async"), ("account-activity", "async"));
        list.Should().OnlyContain(p => p.GetProperty("highWaterMark").GetInt64() == head && p.GetProperty("lastProcessedSequence").GetInt64() == head
                                       && p.GetProperty("lag").GetInt64() == 0 && p.GetProperty("status").GetString() == "current");
    }
}
