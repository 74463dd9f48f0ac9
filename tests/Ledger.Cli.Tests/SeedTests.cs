using Ledger.Domain.Accounts;
using Ledger.EventStore;
using Ledger.EventStore.Audit;
using Ledger.EventStore.Transfers;
using Ledger.Testing;
using Marten;
using Npgsql;
using Ledger.EventStore.Projections;

namespace Ledger.Cli.Tests;

public sealed class SeedTests
{
    [Fact]
    public async Task SameSeed_OnTwoDatabases_WritesTheSameHistory_AndAnotherSeedDoesNot()
    {
        var first = new LedgerCli(PostgresServer.CreateDatabase());
        var second = new LedgerCli(PostgresServer.CreateDatabase());
        var other = new LedgerCli(PostgresServer.CreateDatabase());

        await Task.WhenAll(first.SeedAsync(seed: 7), second.SeedAsync(seed: 7), other.SeedAsync(seed: 8));

        var digest = await Digests.HistoryDigestAsync(first.ConnectionString);
        digest.Should().NotBeEmpty();
        (await Digests.HistoryDigestAsync(second.ConnectionString)).Should().Be(digest);
        (await Digests.HistoryDigestAsync(other.ConnectionString)).Should().NotBe(digest);
        (await Digests.EntriesDigestAsync(second.ConnectionString)).Should().Be(await Digests.EntriesDigestAsync(first.ConnectionString));
    }

    [Fact]
    public async Task OnADatabaseHoldingATombstone_TheSeedAndItsReportsComplete()
    {
        var ledger = new LedgerCli(PostgresServer.CreateDatabase());
        (await ledger.SeedAsync(seed: 1, accounts: 20, transfers: 50)).ExitCode.Should().Be(0);
        // What Marten writes for an append that failed after taking its sequence number (ADR-008): a tombstone on its own stream.
        var tombstoneStream = Guid.NewGuid();
        await Sql.ExecuteAsync(ledger.ConnectionString, $$"""
            insert into ledger.mt_streams (id, tenant_id, version, is_archived) values ('{{tombstoneStream}}', '*DEFAULT*', 0, false);
            insert into ledger.mt_events (seq_id, id, stream_id, version, data, type, tenant_id, mt_dotnet_type, is_archived)
            select n, gen_random_uuid(), '{{tombstoneStream}}', n, '{}', 'tombstone', '*DEFAULT*',
                   'Marten.Events.Operations.Tombstone, Marten', false
            from (select nextval('ledger.mt_events_sequence') as n) s;
            """);

        var result = await ledger.SeedAsync(seed: 2, accounts: 20, transfers: 50);

        result.ExitCode.Should().Be(0, result.ToString());
        result.Json().GetProperty("reports").GetArrayLength().Should().Be(2);
    }

    [Fact]
    public async Task Summary_CountsWhatIsStored()
    {
        var ledger = new LedgerCli(PostgresServer.CreateDatabase());

        var result = await ledger.SeedAsync(accounts: 60, transfers: 600);

        result.ExitCode.Should().Be(0, result.ToString());
        var summary = result.Json();
        Task<long> Count(string sql) => Sql.ScalarAsync<long>(ledger.ConnectionString, sql);
        long Summary(string name) => summary.GetProperty(name).GetInt64();
        Summary("accounts").Should().Be(60).And.Be(await Count("select count(*) from ledger.mt_streams"));
        var capturedToAccounts = await Count("select count(*) / 2 from ledger.mt_events where type = 'hold_captured' and data->>'toAccountId' is not null");
        Summary("events").Should().Be(await Count("select count(*) from ledger.mt_events"))
            .And.Be(Summary("accounts") + 2 * Summary("transfers") + Summary("deposits") + Summary("withdrawals") + Summary("freezes")
                    + Summary("unfreezes") + Summary("closures") + Summary("holdsPlaced") + Summary("holdsCaptured") + capturedToAccounts
                    + Summary("holdsReleased"));
        Summary("transfers").Should().Be(await Count("select count(*) from ledger.mt_doc_transfer_receipt"))
            .And.Be(await Count("select count(*) / 2 from ledger.mt_events where type = 'money_transferred'"));
        Summary("deposits").Should().Be(await Count("select count(*) from ledger.mt_events where type = 'money_deposited'"));
        Summary("withdrawals").Should().Be(await Count("select count(*) from ledger.mt_events where type = 'money_withdrawn'"));
        Summary("freezes").Should().BePositive().And.Be(await Count("select count(*) from ledger.mt_events where type = 'account_frozen'"));
        Summary("unfreezes").Should().BePositive().And.Be(await Count("select count(*) from ledger.mt_events where type = 'account_unfrozen'"));
        Summary("closures").Should().BePositive().And.Be(await Count("select count(*) from ledger.mt_events where type = 'account_closed'"));
        Summary("holdsPlaced").Should().BePositive().And.Be(await Count("select count(*) from ledger.mt_events where type = 'hold_placed'"))
            .And.Be(await Count("select count(*) from ledger.mt_doc_hold"), "every hold placed is a document");
        Summary("holdsCaptured").Should().BePositive()
            .And.Be(await Count("select count(distinct data->>'holdId') from ledger.mt_events where type = 'hold_captured'"));
        Summary("holdsReleased").Should().BePositive().And.Be(await Count("select count(*) from ledger.mt_events where type = 'hold_released'"));
        capturedToAccounts.Should().BePositive();
        // 600 transfer commands were decided; the refused ones (the history has some, as a real one does) wrote nothing.
        Summary("rejected").Should().BePositive();
        (Summary("transfers") + Summary("rejected")).Should().BeGreaterThanOrEqualTo(600);
        (Summary("lastSequence") - Summary("firstSequence") + 1).Should().Be(Summary("events"));
        (await Count("select count(*) from ledger.account_entries")).Should().Be(Summary("events"));
        (await Count("select count(*) from ledger.mt_doc_account")).Should().Be(60);
        summary.GetProperty("reports").GetArrayLength().Should().Be(2);
        result.Output.Should().NotContain("\u001b");
    }

    [Fact]
    public async Task History_ObeysTheBusinessRules()
    {
        var ledger = new LedgerCli(PostgresServer.CreateDatabase());
        (await ledger.SeedAsync(accounts: 80, transfers: 1_500)).ExitCode.Should().Be(0);

        Task<long> Count(string sql) => Sql.ScalarAsync<long>(ledger.ConnectionString, sql);
        (await Count("select count(*) from ledger.account_entries where balance_after_minor < -(state->>'overdraftLimitMinor')::bigint"))
            .Should().Be(0, "no balance goes below minus its overdraft limit");
        (await Count("select count(*) from ledger.account_entries where balance_after_minor < 0"))
            .Should().BePositive("some accounts do use their overdraft");
        (await Count("select count(*) from ledger.account_entries a join ledger.account_entries b using (transfer_id) where a.currency <> b.currency"))
            .Should().Be(0, "transfers stay within one currency");
        (await Count("select count(distinct currency) from ledger.account_entries")).Should().BeGreaterThan(2);
        (await Count("""
              select count(*) from (
                  select occurred_at < lag(occurred_at) over (partition by account_id order by version) as backwards
                  from ledger.account_entries) entries
              where backwards
              """)).Should().Be(0, "time never goes backwards within a stream");
        (await Count("select count(*) from ledger.mt_events where correlation_id <> 'seed-1' or correlation_id is null")).Should().Be(0);
        (await Count("select count(distinct timestamp) from ledger.mt_events")).Should().Be(1, "every event is recorded when the seed writes");
        (await Count("select count(*) from ledger.mt_events where timestamp < now() - interval '10 minutes' or timestamp > now()"))
            .Should().Be(0, "the recording time is the seed's, not the business time in the data");

        (await Count("select count(*) from ledger.account_entries where (state->>'heldMinor')::bigint < 0 or " +
                     "balance_after_minor + (state->>'overdraftLimitMinor')::bigint - (state->>'heldMinor')::bigint < 0"))
            .Should().Be(0, "nothing is held beyond what is available");
        (await Count("select count(*) from ledger.account_entries where type = 'HoldPlaced' and (state->>'heldMinor')::bigint > 0"))
            .Should().BePositive();
        (await Count("""
              select count(*) from ledger.mt_events placed join ledger.mt_events released
                  on released.type = 'hold_released' and released.data->>'holdId' = placed.data->>'holdId'
              where placed.type = 'hold_placed' and released.data->>'reason' = 'expired'
                and (placed.data->>'expiresAt')::timestamptz >= (released.data->>'occurredAt')::timestamptz
              """)).Should().Be(0, "a hold expires only after its expiry");
        (await Count("select count(*) from ledger.mt_events where type = 'hold_released' and data->>'reason' = 'expired'")).Should().BePositive();
        (await Count("""
              select count(*) from ledger.account_entries closed join ledger.account_entries later
                  on later.account_id = closed.account_id and later.version > closed.version
              where closed.type = 'AccountClosed'
              """)).Should().Be(0, "nothing follows a closing");
        (await Count("""
              select count(*) from ledger.account_entries where type = 'AccountClosed'
                and (balance_after_minor <> 0 or (state->>'holdsOpen')::int <> 0 or state->>'status' <> '2')
              """)).Should().Be(0, "a closed account has nothing left and nothing held");
        (await Count("select count(*) from ledger.mt_events where type = 'hold_captured' and (data->>'amountMinor')::bigint < (data->>'heldMinor')::bigint"))
            .Should().BePositive("some holds are captured in part");
        (await Count("select count(*) from ledger.mt_doc_hold h where h.account_id is distinct from (h.data->>'accountId')::uuid")).Should().Be(0);
    }

    /// <summary>The hold documents the seed wrote are what the domain folds from each hold's events, and what the store loads.</summary>
    [Fact]
    public async Task HoldDocuments_AreTheFoldOfTheirEvents()
    {
        var ledger = new LedgerCli(PostgresServer.CreateDatabase());
        (await ledger.SeedAsync(accounts: 40, transfers: 800, seed: 5)).ExitCode.Should().Be(0);

        using var store = DocumentStore.For(options => LedgerStore.Configure(options, ledger.ConnectionString, ProjectionCatalog.Ledger));
        await using var session = store.QuerySession();
        // In global order; a capture to another account is in both streams, the same facts twice.
        var events = (await session.Events.QueryAllRawEvents().OrderBy(e => e.Sequence).ToListAsync()).Select(e => (IAccountEvent)e.Data);

        var folded = new Dictionary<Guid, Hold>();
        foreach (var e in events.Distinct())
        {
            var holdId = e switch { HoldPlaced p => p.HoldId, HoldCaptured c => c.HoldId, HoldReleased r => r.HoldId, _ => (Guid?)null };
            if (holdId is { } id)
            {
                folded[id] = AccountDecider.EvolveHold(folded.GetValueOrDefault(id), e);
            }
        }

        var stored = await session.Query<Hold>().ToListAsync();
        stored.Should().BeEquivalentTo(folded.Values);
        stored.Select(hold => hold.Status).Distinct().Should().BeEquivalentTo([HoldStatus.Open, HoldStatus.Captured, HoldStatus.Released]);
        (await session.Query<Hold>().Where(hold => hold.AccountId == stored[0].AccountId).ToListAsync())
            .Should().OnlyContain(hold => hold.AccountId == stored[0].AccountId, "the duplicated account column finds an account's holds");
    }

    [Fact]
    public async Task SeededStreams_ReadAndAppendThroughTheStore_AsThoughAppendedByTheApi()
    {
        var ledger = new LedgerCli(PostgresServer.CreateDatabase());
        (await ledger.SeedAsync()).ExitCode.Should().Be(0);
        await using var dataSource = NpgsqlDataSource.Create(ledger.ConnectionString);
        // The longest history among the accounts that may still be debited (some seeded ones are frozen or closed).
        var accountId = await Sql.ScalarAsync<Guid>(ledger.ConnectionString,
            "select s.id from ledger.mt_streams s join ledger.mt_doc_account a using (id) where lower(a.data->>'status') = 'open' " +
            "and (a.data->>'balanceMinor')::bigint + (a.data->>'overdraftLimitMinor')::bigint - (a.data->>'heldMinor')::bigint >= 2 " +
            "order by s.version desc, s.id limit 1");

        using (var store = DocumentStore.For(options => LedgerStore.Configure(options, ledger.ConnectionString, ProjectionCatalog.Ledger)))
        {
            await using var session = store.LightweightSession();
            // As the API's sessions are: every command's events carry its caller (LedgerSessions).
            new Actor("test-teller", "teller").StampOn(session);
            var events = await session.Events.FetchStreamAsync(accountId);
            var account = await session.LoadAsync<Account>(accountId);
            account.Should().Be(AccountDecider.Fold(events.Select(e => (IAccountEvent)e.Data)));
            events.Select(e => e.Version).Should().BeInAscendingOrder().And.HaveCount((int)account!.Version);

            // The API's own write paths: a new stream, and a transfer from a seeded one; versions, snapshots, receipts and
            // the entries' chains must all continue where the seed left them.
            var now = DateTimeOffset.UtcNow;
            var created = AccountDecider.Decide(new OpenAccount(Guid.CreateVersion7(), "After Seed", account.Currency, 0, now));
            session.Events.StartStream<Account>(created.AccountId, created);
            await session.SaveChangesAsync();
            var from = await session.Events.FetchForWriting<Account>(accountId);
            var to = await session.Events.FetchForWriting<Account>(created.AccountId);
            from.Aggregate.Should().Be(account);
            var transferred = AccountDecider.Decide(new Transfer(Guid.CreateVersion7(), accountId, created.AccountId, 1, "after the seed", now),
                from.Aggregate!, to.Aggregate!);
            from.AppendOne(transferred);
            to.AppendOne(transferred);
            session.Insert(new TransferReceipt(transferred.TransferId, accountId, created.AccountId, 1, transferred.Currency, transferred.Reference,
                account.BalanceMinor - 1, 1, transferred.OccurredAt));
            await session.SaveChangesAsync();

            // A hold, as the group commit keeps one: the event and its document in one transaction.
            var holder = await session.Events.FetchForWriting<Account>(accountId);
            var placed = AccountDecider.Decide(new PlaceHold(Guid.CreateVersion7(), accountId, 1, "after the seed", null, now), holder.Aggregate!);
            holder.AppendOne(placed);
            session.Insert(AccountDecider.EvolveHold(null, placed));
            await session.SaveChangesAsync();
        }

        // Rows the store wrote and rows the seed wrote carry the same bookkeeping values.
        Task<long> Distinct(string sql) => Sql.ScalarAsync<long>(ledger.ConnectionString, sql);
        (await Distinct("select count(distinct (type, tenant_id, mt_dotnet_type, is_archived, headers is null, user_name is null, causation_id is null)) " +
                        "from ledger.mt_events where type in ('account_created', 'money_transferred') group by type order by 1 desc limit 1"))
            .Should().Be(1);
        (await Distinct("select count(distinct (type, tenant_id, is_archived, compacted_version, created = timestamp)) from ledger.mt_streams")).Should().Be(1);
        (await Distinct("select count(distinct mt_dotnet_type) from ledger.mt_doc_account")).Should().Be(1);
        (await Distinct("select count(distinct mt_dotnet_type) from ledger.mt_doc_transfer_receipt")).Should().Be(1);
        (await Distinct("select count(distinct mt_dotnet_type) from ledger.mt_doc_hold")).Should().Be(1);
        (await Distinct("select count(*) from ledger.account_entries where (actor_subject, actor_role) is distinct from ('seed', 'system')"))
            .Should().Be(4, "every seeded event has the seed's actor; only the four appended above have another");
        var integrity = await new IntegrityVerifier(dataSource).VerifyLedgerAsync(CancellationToken.None);
        integrity.Valid.Should().BeTrue();
        integrity.Streams.Should().Be(51);
        var verify = await ledger.RunAsync("projections", "verify", "--all");
        verify.ExitCode.Should().Be(0, verify.ToString());
        verify.Output.Should().Contain("accounts: identical").And.Contain("account-entries: identical");
    }

    [Fact]
    public async Task SameSeedTwice_IsRefusedWithAClearMessage_AndWritesNothing()
    {
        var ledger = new LedgerCli(PostgresServer.CreateDatabase());
        (await ledger.SeedAsync(seed: 3)).ExitCode.Should().Be(0);
        var before = await Digests.HistoryDigestAsync(ledger.ConnectionString);

        var again = await ledger.SeedAsync(seed: 3, json: false);

        again.ExitCode.Should().Be(1, again.ToString());
        again.Error.Should().Contain("Seed 3 is already in this database").And.NotContain("duplicate key");
        (await Digests.HistoryDigestAsync(ledger.ConnectionString)).Should().Be(before);
        var another = await ledger.SeedAsync(seed: 4);
        another.ExitCode.Should().Be(0, "another seed adds its own accounts beside the first");
        (await Sql.ScalarAsync<long>(ledger.ConnectionString, "select count(*) from ledger.mt_streams")).Should().Be(100);
    }

    [Fact]
    public async Task HumanSummary_NamesTheCounts()
    {
        var ledger = new LedgerCli(PostgresServer.CreateDatabase());

        var result = await ledger.SeedAsync(accounts: 20, transfers: 100, json: false);

        result.ExitCode.Should().Be(0, result.ToString());
        result.Output.Should().Contain("seed 1: 20 accounts").And.Contain("rejected commands").And.Contain("events/s")
            .And.Contain("daily-volumes: caught up").And.NotContain("\u001b");
    }

    [Theory]
    [InlineData("seed", "--accounts", "0", "--transfers", "10")]
    [InlineData("seed", "--accounts", "10")]
    [InlineData("seed", "--accounts", "10", "--transfers", "-1")]
    [InlineData("seed", "--accounts", "10", "--transfers", "10", "--connection", "Host=127.0.0.1", "--data-dir", "somewhere")]
    public async Task BadOptions_AreUsageErrors(params string[] args)
    {
        var result = await LedgerCli.RunRawAsync(args);

        result.ExitCode.Should().Be(2, result.ToString());
        result.Error.Should().NotBeEmpty();
    }
}
