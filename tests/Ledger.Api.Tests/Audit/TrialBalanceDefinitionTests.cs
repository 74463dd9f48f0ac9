using System.Globalization;
using Ledger.Api.Tests.Infrastructure;
using Ledger.EventStore;
using Ledger.EventStore.Audit;
using Ledger.EventStore.Projections;
using Ledger.EventStore.Seeding;
using Ledger.Testing;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Ledger.Api.Tests.Audit;

/// <summary>
/// The trial balance reads one entry per account (its balance and its deposits and withdrawals to date); its definition is
/// still the sum over every movement up to the instant, a hold captured out of the ledger being a withdrawal. These tests compute it that way, in SQL, and compare at instants
/// before, at, between and after the events of a generated history with every kind of movement in several currencies,
/// written by each writer of the entries: the seed's bulk copy, the API's inline projection and a rebuild's replay.
/// </summary>
public sealed class TrialBalanceDefinitionTests(LedgerApiFactory factory) : IClassFixture<LedgerApiFactory>
{
    private static readonly TimeSpan Microsecond = AuditTimes.Microsecond;

    /// <summary>The trial balance as it was defined before the totals to date: the last entry by version, every movement summed.</summary>
    private const string SummedOverEveryMovement =
        """
        select m.currency, coalesce(b.accounts, 0), coalesce(b.balance, 0), m.deposited, m.withdrawn, m.sequence
        from (select currency, coalesce(sum(amount_minor) filter (where type = 'MoneyDeposited'), 0) as deposited,
                     coalesce(-sum(amount_minor) filter (where type = 'MoneyWithdrawn'
                                                         or type = 'HoldCaptured' and counterparty_account_id is null), 0) as withdrawn,
                     max(sequence) as sequence
              from ledger.account_entries where occurred_at <= $1 group by currency) m
        left join (select currency, count(*) as accounts, sum(balance_after_minor) as balance
                   from (select distinct on (account_id) account_id, currency, balance_after_minor from ledger.account_entries
                         where occurred_at <= $1 order by account_id, version desc) last group by currency) b using (currency)
        order by m.currency
        """;

    private NpgsqlDataSource DataSource => factory.Services.GetRequiredService<NpgsqlDataSource>();

    [Fact]
    public async Task GeneratedHistory_EqualsTheSumOverEveryMovement_WhicheverWriterWroteTheEntries()
    {
        var catalog = factory.Services.GetRequiredService<ProjectionCatalog>();
        await new HistorySeeder(DataSource, factory.Services.GetRequiredService<ISerializer>(), TimeProvider.System, catalog)
            .WriteAsync(new HistoryOptions(Accounts: 40, Transfers: 400, Seed: 11), progress: null, CancellationToken.None);
        await MoveMoneyThroughTheApiAsync();
        (await Sql.ScalarAsync<long>(factory.ConnectionString, "select count(distinct currency) from ledger.account_entries")).Should()
            .BeGreaterThanOrEqualTo(3);
        (await Sql.ScalarAsync<long>(factory.ConnectionString, "select count(distinct type) from ledger.account_entries")).Should().Be(10,
            "every kind of event, from the seed and from the API's store");
        (await Sql.ScalarAsync<long>(factory.ConnectionString,
            "select count(*) from ledger.account_entries where type = 'HoldCaptured' and counterparty_account_id is null")).Should().BePositive();
        var instants = await InstantsAsync(factory.ConnectionString);
        var entries = catalog.Find("account-entries")!;
        var rebuilder = factory.Services.GetRequiredService<ProjectionRebuilder>();

        await ShouldEqualTheSumAtEveryInstantAsync(DataSource, instants);
        (await rebuilder.RunAsync(Guid.NewGuid(), entries, RebuildKind.Verify, "test", null, CancellationToken.None)).Identical.Should()
            .BeTrue("the seed and the inline projection write the totals the replay computes");

        // Totals missing for some accounts (as after a migration, before the rebuild): the movements are summed instead.
        await Sql.ExecuteAsync(factory.ConnectionString,
            "update ledger.account_entries set deposited_to_date_minor = null, withdrawn_to_date_minor = null " +
            "where account_id in (select account_id from ledger.account_entries where version = 1 order by account_id limit 5)");
        await ShouldEqualTheSumAtEveryInstantAsync(DataSource, instants);
        (await rebuilder.RunAsync(Guid.NewGuid(), entries, RebuildKind.Verify, "test", null, CancellationToken.None)).Identical.Should()
            .BeFalse("a verification compares the totals like every other column");

        (await rebuilder.RunAsync(Guid.NewGuid(), entries, RebuildKind.Rebuild, "test", null, CancellationToken.None)).Identical.Should().BeTrue();
        (await Sql.ScalarAsync<long>(factory.ConnectionString,
            "select count(*) from ledger.account_entries where deposited_to_date_minor is null or withdrawn_to_date_minor is null")).Should().Be(0);
        await ShouldEqualTheSumAtEveryInstantAsync(DataSource, instants);
        TrialBalanceTests.ShouldBeBalanced(await new Auditor(factory.CreateClient()).BalancesAsync());
    }

    [Fact]
    public async Task DatabaseFromBeforeTheTotals_GainsThemByMigration_AndARebuildFillsThem()
    {
        var connectionString = PostgresServer.CreateDatabase();
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        using (var store = DocumentStore.For(options => LedgerStore.Configure(options, connectionString, ProjectionCatalog.Ledger)))
        {
            await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
            await new HistorySeeder(dataSource, store.Options.Serializer(), TimeProvider.System, ProjectionCatalog.Ledger)
                .WriteAsync(new HistoryOptions(Accounts: 20, Transfers: 150, Seed: 5), progress: null, CancellationToken.None);
        }

        // The schema as it was: no totals, no version in the account-time index, no checkpoints.
        await Sql.ExecuteAsync(connectionString,
            "drop index ledger.ix_account_entries_account_time; " +
            "alter table ledger.account_entries drop column deposited_to_date_minor, drop column withdrawn_to_date_minor; " +
            "create index ix_account_entries_account_time on ledger.account_entries (account_id, occurred_at); " +
            "drop table ledger.integrity_checkpoints");

        using var migrated = DocumentStore.For(options => LedgerStore.Configure(options, connectionString, ProjectionCatalog.Ledger));
        await migrated.Storage.ApplyAllConfiguredChangesToDatabaseAsync();

        (await Sql.ScalarAsync<long>(connectionString,
            "select count(*) from ledger.account_entries where deposited_to_date_minor is null and withdrawn_to_date_minor is null")).Should()
            .Be(await Sql.ScalarAsync<long>(connectionString, "select count(*) from ledger.account_entries"), "the migration adds the columns empty");
        (await Sql.ScalarAsync<string>(connectionString,
            "select indexdef from pg_indexes where schemaname = 'ledger' and indexname = 'ix_account_entries_account_time'")).Should()
            .Contain("(account_id, occurred_at, version) INCLUDE (currency, balance_after_minor, deposited_to_date_minor, withdrawn_to_date_minor, sequence)");
        (await Sql.ScalarAsync<long>(connectionString, "select count(*) from ledger.integrity_checkpoints")).Should().Be(0);
        var instants = await InstantsAsync(connectionString);
        await ShouldEqualTheSumAtEveryInstantAsync(dataSource, instants);

        var outcome = await new ProjectionRebuilder(dataSource, migrated.Options.Serializer(), TimeProvider.System).RunAsync(Guid.NewGuid(),
            ProjectionCatalog.Ledger.Find("account-entries")!, RebuildKind.Rebuild, "test", null, CancellationToken.None);

        outcome.Identical.Should().BeTrue();
        (await Sql.ScalarAsync<long>(connectionString,
            "select count(*) from ledger.account_entries where deposited_to_date_minor is null or withdrawn_to_date_minor is null")).Should().Be(0);
        await ShouldEqualTheSumAtEveryInstantAsync(dataSource, instants);
    }

    /// <summary>
    /// Deposits, withdrawals and transfers in two currencies, through the API, and holds captured (to an account and out of
    /// the ledger), released and left open, a freeze and a closing, through its store (the inline projection writes every
    /// entry).
    /// </summary>
    private async Task MoveMoneyThroughTheApiAsync()
    {
        var teller = new Teller(factory.CreateClient());
        var writer = new LedgerWriter(factory.Services.GetRequiredService<IDocumentStore>());
        foreach (var currency in new[] { "EUR", "JPY" })
        {
            var a = await teller.OpenAccountAsync(currency);
            var b = await teller.OpenAccountAsync(currency, 500m);
            await teller.DepositAsync(a, "900");
            await teller.TransferAsync(a, b, "300", "split");
            await teller.WithdrawAsync(b, "400");
            await teller.DepositAsync(b, "25");
            await teller.TransferAsync(b, a, "10", null);
            await teller.WithdrawAsync(a, "100");
            await writer.CaptureAsync(await writer.PlaceHoldAsync(a, 200), 150, b);
            await writer.CaptureAsync(await writer.PlaceHoldAsync(b, 70));
            await writer.ReleaseAsync(await writer.PlaceHoldAsync(a, 30));
            await writer.PlaceHoldAsync(b, 5);
            await writer.FreezeAsync(a);
            await writer.UnfreezeAsync(a);
            await writer.CloseAsync(await writer.OpenAsync(currency));
        }
    }

    /// <summary>Before the first event, after the last, and at, just before and just after a spread of event times.</summary>
    private static async Task<List<DateTimeOffset>> InstantsAsync(string connectionString)
    {
        var times = new List<DateTimeOffset>();
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("select distinct occurred_at from ledger.account_entries order by 1", connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                times.Add(reader.GetFieldValue<DateTimeOffset>(0));
            }
        }

        times.Should().HaveCountGreaterThan(100);
        var instants = new List<DateTimeOffset> { times[0] - TimeSpan.FromDays(1), times[^1] + TimeSpan.FromDays(1) };
        var step = times.Count / 25;
        for (var i = 0; i < times.Count; i += step)
        {
            instants.AddRange([times[i] - Microsecond, times[i], times[i] + Microsecond]);
        }

        instants.Add(times[^1]);
        return instants;
    }

    private static async Task ShouldEqualTheSumAtEveryInstantAsync(NpgsqlDataSource dataSource, IEnumerable<DateTimeOffset> instants)
    {
        var audit = new AuditQueries(dataSource);
        foreach (var instant in instants)
        {
            var trial = await audit.TrialBalanceAsync(instant, CancellationToken.None);
            var computed = trial.Currencies.Select(c => Line(c.Currency, c.Accounts, c.TotalBalanceMinor, c.TotalDepositedMinor, c.TotalWithdrawnMinor))
                .Append($"sequence {trial.Sequence}");
            computed.Should().Equal(await SummedAsync(dataSource, instant), "as of {0}", instant.ToString("O", CultureInfo.InvariantCulture));
        }
    }

    private static async Task<List<string>> SummedAsync(NpgsqlDataSource dataSource, DateTimeOffset instant)
    {
        var lines = new List<string>();
        long sequence = 0;
        await using var command = dataSource.CreateCommand(SummedOverEveryMovement);
        command.Parameters.Add(new NpgsqlParameter { Value = instant });
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            lines.Add(Line(reader.GetString(0), reader.GetInt64(1), reader.GetDecimal(2), reader.GetDecimal(3), reader.GetDecimal(4)));
            sequence = Math.Max(sequence, reader.GetInt64(5));
        }

        lines.Add($"sequence {sequence}");
        return lines;
    }

    private static string Line(string currency, long accounts, decimal balance, decimal deposited, decimal withdrawn) =>
        string.Create(CultureInfo.InvariantCulture, $"{currency}: {accounts} accounts, balance {balance}, deposited {deposited}, withdrawn {withdrawn}");
}
