using System.Net;
using System.Text.Json;
using JasperFx.Events.Projections;
using Ledger.Domain.Accounts;
using Ledger.EventStore;
using Ledger.EventStore.Projections;
using Ledger.Testing;
using Npgsql;
using NpgsqlTypes;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace Ledger.Api.Tests.Projections;

/// <summary>
/// ADR-013's promise, kept as a test: a read model is one class and one catalogue line. <see cref="WithdrawalCounts"/>
/// below exists nowhere else; the line that adds it is <see cref="WithdrawalCountsFixture"/>. With nothing more, the API
/// lists it, keeps it live from every command, rebuilds it by replay and verifies it.
/// </summary>
public sealed class ReadModelProofTests(WithdrawalCountsFixture fixture) : IClassFixture<WithdrawalCountsFixture>
{
    private readonly Teller _teller = fixture.Teller;

    [Fact]
    public async Task IsListed_WithItsLifecycleAndDescription()
    {
        using var response = await fixture.Analyst.GetAsync(Analyst.ProjectionsPath);
        var list = await Teller.Expect(response, HttpStatusCode.OK);

        var model = list.EnumerateArray().Single(p => p.GetProperty("name").GetString() == WithdrawalCounts.ProjectionName);
        model.GetProperty("lifecycle").GetString().Should().Be("async");
        model.GetProperty("description").GetString().Should().Be(new WithdrawalCounts().Description);
        list.EnumerateArray().Select(p => p.GetProperty("name").GetString())
            .Should().Contain(ProjectionCatalog.Ledger.All.Select(p => p.Name), "adding a model keeps every other one");
    }

    [Fact]
    public async Task StaysLive_AsCommandsCommit()
    {
        var account = await _teller.OpenFundedAccountAsync("100.00");
        await _teller.WithdrawAsync(account, "10.00");
        await _teller.WithdrawAsync(account, "5.25");
        await fixture.WaitForReportsAsync();
        (await RowAsync(account)).Should().Be(((long, long)?)(2L, 1525L));

        await _teller.WithdrawAsync(account, "0.75");
        await fixture.WaitForReportsAsync();
        (await RowAsync(account)).Should().Be(((long, long)?)(3L, 1600L));
    }

    [Fact]
    public async Task RebuildsOverHttp_Verifies_AndARebuildRepairsATamperedRow()
    {
        var account = await _teller.OpenFundedAccountAsync("50.00");
        await _teller.WithdrawAsync(account, "20.00");
        var other = await _teller.OpenFundedAccountAsync("50.00");
        await _teller.TransferAsync(other, account, "1.00");
        await fixture.WaitForReportsAsync();
        var live = await fixture.RowsAsync(WithdrawalCounts.ProjectionName);

        var rebuild = await fixture.WaitForRebuildAsync(await fixture.StartRebuildAsync(WithdrawalCounts.ProjectionName));

        rebuild.GetProperty("state").GetString().Should().Be("succeeded", "got {0}", rebuild);
        (await fixture.RowsAsync(WithdrawalCounts.ProjectionName)).Should().Equal(live);
        (await fixture.VerifyAsync(WithdrawalCounts.ProjectionName)).Identical.Should().BeTrue();

        await fixture.ExecuteAsync($"update {LedgerStore.Schema}.{WithdrawalCounts.TableName} set withdrawn_minor = 1 where account_id = $1", account);
        var verify = await fixture.VerifyAsync(WithdrawalCounts.ProjectionName);
        verify.Identical.Should().BeFalse();
        verify.DifferingIds.Should().Equal(account.ToString());

        rebuild = await fixture.WaitForRebuildAsync(await fixture.StartRebuildAsync(WithdrawalCounts.ProjectionName));
        rebuild.GetProperty("state").GetString().Should().Be("succeeded", "got {0}", rebuild);
        (await RowAsync(account)).Should().Be(((long, long)?)(1L, 2000L));
        (await RowAsync(other)).Should().BeNull("a transfer is not a withdrawal");
    }

    private async Task<(long Count, long Minor)?> RowAsync(Guid account)
    {
        await using var command = fixture.DataSource.CreateCommand(
            $"select withdrawals, withdrawn_minor from {LedgerStore.Schema}.{WithdrawalCounts.TableName} where account_id = $1");
        command.Parameters.AddWithValue(account);
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (reader.GetInt64(0), reader.GetInt64(1)) : null;
    }
}

/// <summary>The one line: the ledger's catalogue with the new model.</summary>
public sealed class WithdrawalCountsFixture() : ProjectionsFixture(ProjectionCatalog.Ledger.With(new WithdrawalCounts()));

/// <summary>A read model the ledger does not ship: per account, how many withdrawals and how much was withdrawn.</summary>
public sealed class WithdrawalCounts : ReplayProjection
{
    public const string ProjectionName = "withdrawal-counts";
    public const string TableName = "test_withdrawal_counts";
    private const string Columns = "account_id, withdrawals, withdrawn_minor";
    private static readonly NpgsqlDbType[] Types = [NpgsqlDbType.Uuid, NpgsqlDbType.Bigint, NpgsqlDbType.Bigint];

    public override string Name => ProjectionName;

    public override string Description => "Per account, the number of withdrawals and their total.";

    public override ProjectionLifecycle Lifecycle => ProjectionLifecycle.Async;

    public override string Table => TableName;

    public override IReadOnlyList<string> KeyColumns { get; } = ["account_id"];

    public override IReadOnlyList<string> ComparedColumns { get; } = ["withdrawals", "withdrawn_minor"];

    public override IProjectionBuilder CreateBuilder(ReplayContext context) => new Builder();

    public override void Configure(Marten.StoreOptions options)
    {
        var table = new Table(new PostgresqlObjectName(LedgerStore.Schema, TableName, SchemaUtils.IdentifierUsage.General));
        table.AddColumn<Guid>("account_id").AsPrimaryKey();
        table.AddColumn<long>("withdrawals").NotNull();
        table.AddColumn<long>("withdrawn_minor").NotNull();
        options.Storage.ExtendedSchemaObjects.Add(table);
    }

    private sealed class Builder : IMergingProjectionBuilder
    {
        private readonly Dictionary<Guid, (long Count, long Minor)> _accounts = [];

        public void Apply(ReplayEvent e)
        {
            if (e.Data is MoneyWithdrawn withdrawn)
            {
                var (count, minor) = _accounts.GetValueOrDefault(e.StreamId);
                _accounts[e.StreamId] = (count + 1, checked(minor + withdrawn.AmountMinor));
            }
        }

        public Task FlushAsync(NpgsqlConnection connection, string qualifiedTable, CancellationToken cancellation) => Task.CompletedTask;

        public async Task CompleteAsync(NpgsqlConnection connection, string qualifiedTable, CancellationToken cancellation)
        {
            await BinaryCopy.DeleteKeysAsync(connection, qualifiedTable, "account_id", _accounts.Keys, cancellation);
            await BinaryCopy.WriteAsync(connection, qualifiedTable, Columns, Types, Rows(), cancellation);
        }

        public Task MergeAsync(NpgsqlConnection connection, string qualifiedTable, CancellationToken cancellation) =>
            BinaryCopy.ExecuteForEachAsync(connection,
                $"insert into {qualifiedTable} as t ({Columns}) values ($1, $2, $3) on conflict (account_id) do update set " +
                "withdrawals = t.withdrawals + excluded.withdrawals, withdrawn_minor = t.withdrawn_minor + excluded.withdrawn_minor",
                Types, Rows(), cancellation);

        private IEnumerable<object[]> Rows() => _accounts.Select(pair => new object[] { pair.Key, pair.Value.Count, pair.Value.Minor });
    }
}
