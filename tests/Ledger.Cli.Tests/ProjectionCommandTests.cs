using Ledger.EventStore.Projections;
using Ledger.Testing;
using Npgsql;

namespace Ledger.Cli.Tests;

public sealed class ProjectionCommandTests
{
    private static readonly string[] Names = ["accounts", "account-entries", "daily-volumes", "account-activity"];

    private static async Task<LedgerCli> SeededAsync()
    {
        var ledger = new LedgerCli(PostgresServer.CreateDatabase());
        var seed = await ledger.SeedAsync();
        seed.ExitCode.Should().Be(0, seed.ToString());
        return ledger;
    }

    [Fact]
    public async Task List_AfterSeed_ShowsFourProjectionsWithoutLag()
    {
        var ledger = await SeededAsync();
        var events = await Sql.ScalarAsync<long>(ledger.ConnectionString, "select max(seq_id) from ledger.mt_events");

        var json = await ledger.RunAsync("projections", "list", "--json");
        var table = await ledger.RunAsync("projections", "list");

        json.ExitCode.Should().Be(0, json.ToString());
        var statuses = json.Json<ProjectionStatus[]>();
        statuses.Select(status => status.Name).Should().Equal(Names);
        statuses.Should().OnlyContain(status => status.Lag == 0 && status.LastProcessedSequence == events && status.HighWaterMark == events
                                                && status.Status == "current");
        statuses.Select(status => status.Lifecycle).Should().Equal("inline", "inline", "async", "async");
        table.ExitCode.Should().Be(0);
        table.Output.Should().Contain("high-water mark").And.Contain("daily-volumes").And.NotContain("\u001b");
    }

    [Fact]
    public async Task VerifyAll_AfterSeed_IsIdentical()
    {
        var ledger = await SeededAsync();

        var human = await ledger.RunAsync("projections", "verify", "--all");
        var json = await ledger.RunAsync("projections", "verify", "--all", "--json");

        human.ExitCode.Should().Be(0, human.ToString());
        foreach (var name in Names)
        {
            human.Output.Should().Contain($"{name}: identical");
        }

        human.Output.Should().NotContain("\u001b");
        json.ExitCode.Should().Be(0, json.ToString());
        var runs = json.Json().EnumerateArray().ToList();
        runs.Select(run => run.GetProperty("projection").GetString()).Should().Equal(Names);
        runs.Should().OnlyContain(run => run.GetProperty("outcome").GetString() == "identical" && run.GetProperty("differences").GetInt64() == 0
                                         && run.GetProperty("events").GetInt64() > 1000);
    }

    [Fact]
    public async Task TamperedModels_FailVerification_WithTheirIds_UntilRebuilt()
    {
        var ledger = await SeededAsync();
        var accountId = await Sql.ScalarAsync<Guid>(ledger.ConnectionString, "select id from ledger.mt_doc_account order by id limit 1");
        var day = await Sql.ScalarAsync<string>(ledger.ConnectionString,
            "select day::text || '/' || currency from ledger.report_daily_volumes order by day, currency limit 1");
        await Sql.ExecuteAsync(ledger.ConnectionString,
            "update ledger.report_daily_volumes set deposits_count = deposits_count + 1 " +
            $"where day::text || '/' || currency = '{day}'");
        await Sql.ExecuteAsync(ledger.ConnectionString,
            "update ledger.mt_doc_account set data = jsonb_set(data, '{balanceMinor}', to_jsonb((data->>'balanceMinor')::bigint + 100)) " +
            $"where id = '{accountId}'");

        var tampered = await ledger.RunAsync("projections", "verify", "--all");

        tampered.ExitCode.Should().Be(1, tampered.ToString());
        tampered.Output.Should().Contain("accounts: differs: 1 rows").And.Contain(accountId.ToString())
            .And.Contain("daily-volumes: differs: 1 rows").And.Contain(day)
            .And.Contain("account-entries: identical").And.Contain("account-activity: identical", "differences do not stop a verification");

        (await ledger.RunAsync("projections", "rebuild", "accounts")).ExitCode.Should().Be(0);
        (await ledger.RunAsync("projections", "verify", "accounts")).Output.Should().Contain("accounts: identical");
        (await Sql.ScalarAsync<string>(ledger.ConnectionString,
                "select string_agg(distinct started_by, ',') from ledger.projection_rebuilds where projection = 'accounts'"))
            .Should().Be($"cli:{Environment.UserName}", "the journal records who started each run from the tool");
        (await ledger.RunAsync("projections", "verify", "daily-volumes")).ExitCode.Should().Be(1, "only the rebuilt model is repaired");
        var rebuilt = await ledger.RunAsync("projections", "rebuild", "DAILY-VOLUMES", "--json");
        rebuilt.ExitCode.Should().Be(0, rebuilt.ToString());
        rebuilt.Json()[0].GetProperty("outcome").GetString().Should().Be("rebuilt");
        var verified = await ledger.RunAsync("projections", "verify", "--all");
        verified.ExitCode.Should().Be(0, verified.ToString());
    }

    [Fact]
    public async Task RebuildOfEntries_AfterAnEventWasEdited_IsRefused_AndChangesNothing()
    {
        var ledger = await SeededAsync();
        await Sql.ExecuteAsync(ledger.ConnectionString,
            "update ledger.mt_events set data = jsonb_set(data, '{amountMinor}', to_jsonb((data->>'amountMinor')::bigint + 1)) " +
            "where seq_id = (select min(seq_id) from ledger.mt_events where type = 'money_deposited')");
        var entries = await Digests.EntriesDigestAsync(ledger.ConnectionString);

        var result = await ledger.RunAsync("projections", "rebuild", "account-entries");

        result.ExitCode.Should().Be(1, result.ToString());
        result.Error.Should().Contain("hash chain").And.Contain("Nothing was changed");
        result.Output.Should().NotContain("rebuilt");
        (await Digests.EntriesDigestAsync(ledger.ConnectionString)).Should().Be(entries);
    }

    [Fact]
    public async Task RebuildAll_StopsAtTheFirstFailure()
    {
        var ledger = await SeededAsync();
        await Sql.ExecuteAsync(ledger.ConnectionString,
            "update ledger.mt_events set data = jsonb_set(data, '{amountMinor}', to_jsonb((data->>'amountMinor')::bigint + 1)) " +
            "where seq_id = (select min(seq_id) from ledger.mt_events where type = 'money_deposited')");

        var result = await ledger.RunAsync("projections", "rebuild", "--all", "--json");

        result.ExitCode.Should().Be(1, result.ToString());
        var runs = result.Json().EnumerateArray().Select(run => (run.GetProperty("projection").GetString(), run.GetProperty("outcome").GetString()));
        runs.Should().Equal(("accounts", "rebuilt"), ("account-entries", "failed"));
    }

    [Fact]
    public async Task Rebuild_WhileAnotherRunHoldsTheProjection_ExitsBusy()
    {
        var ledger = await SeededAsync();
        await using var holder = new NpgsqlConnection(ledger.ConnectionString);
        await holder.OpenAsync();
        await using var held = await ProjectionLock.TryTakeAsync(holder, "accounts", CancellationToken.None);
        held.Should().NotBeNull();

        var result = await ledger.RunAsync("projections", "rebuild", "accounts");

        result.ExitCode.Should().Be(3, result.ToString());
        result.Error.Should().Contain("already being rebuilt or verified");
    }

    [Fact]
    public async Task Rebuild_CancelledMidway_ExitsWith130_AndLeavesTheModelAsItWas()
    {
        var ledger = await SeededAsync();
        var before = await Sql.ScalarAsync<string>(ledger.ConnectionString,
            "select md5(string_agg(data::text, ',' order by id)) from ledger.mt_doc_account");
        // A share lock on the streams lets the replay read them but keeps the switch from stopping appends, so the rebuild
        // waits (retrying) at its last step, where the test cancels it.
        await using var blocker = new NpgsqlConnection(ledger.ConnectionString);
        await blocker.OpenAsync();
        await using var transaction = await blocker.BeginTransactionAsync();
        await using (var lockStreams = new NpgsqlCommand("lock table ledger.mt_streams in share mode", blocker, transaction))
        {
            await lockStreams.ExecuteNonQueryAsync();
        }

        using var cancellation = new CancellationTokenSource();
        var run = ledger.RunAsync(["projections", "rebuild", "accounts"], cancellation.Token);
        await Eventually.HoldsAsync(async () => await Sql.ScalarAsync<long>(ledger.ConnectionString,
                "select count(*) from pg_stat_activity where datname = current_database() and query like 'lock table ledger.mt_streams in exclusive mode%'") > 0,
            "the rebuild's switch waiting to stop appends");
        await cancellation.CancelAsync();
        var result = await run.WaitAsync(TimeSpan.FromSeconds(30));
        await transaction.RollbackAsync();

        result.ExitCode.Should().Be(130, result.ToString());
        result.Error.Should().Contain("cancelled; the previous model is unchanged");
        (await Sql.ScalarAsync<string>(ledger.ConnectionString,
            "select md5(string_agg(data::text, ',' order by id)) from ledger.mt_doc_account")).Should().Be(before);
        (await Sql.ScalarAsync<string>(ledger.ConnectionString,
            "select state from ledger.projection_rebuilds where projection = 'accounts' order by started_at desc limit 1")).Should().Be("cancelled");
        (await Sql.ScalarAsync<long>(ledger.ConnectionString,
            "select count(*) from pg_tables where schemaname = 'ledger' and tablename like 'mt_doc_account\\_\\_%'")).Should().Be(0);
    }

    [Fact]
    public async Task UnknownProjection_IsAUsageError_ListingTheValidNames()
    {
        var result = await LedgerCli.RunRawAsync(["projections", "rebuild", "balances"]);

        result.ExitCode.Should().Be(2, result.ToString());
        foreach (var name in Names)
        {
            result.Error.Should().Contain(name);
        }
    }

    [Theory]
    [InlineData("projections", "rebuild")]
    [InlineData("projections", "verify", "accounts", "--all")]
    [InlineData("projections", "list", "--connection", "Host=127.0.0.1", "--data-dir", "somewhere")]
    [InlineData("projections")]
    public async Task IncompleteOrContradictoryCommands_AreUsageErrors(params string[] args)
    {
        var result = await LedgerCli.RunRawAsync(args);

        result.ExitCode.Should().Be(2, result.ToString());
        result.Error.Should().NotBeEmpty();
    }

    [Fact]
    public async Task UnreachableDatabase_FailsWithAMessage()
    {
        var result = await LedgerCli.RunRawAsync(["projections", "list", "--connection", "Host=127.0.0.1;Port=1;Timeout=2"]);

        result.ExitCode.Should().Be(1, result.ToString());
        result.Error.Should().StartWith("error:");
    }
}
