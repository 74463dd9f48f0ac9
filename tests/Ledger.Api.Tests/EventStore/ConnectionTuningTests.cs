using Ledger.Api.Tests.Infrastructure;
using Ledger.EventStore;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Ledger.Api.Tests.EventStore;

/// <summary>The ledger connects with automatic statement preparation unless its connection string says otherwise.</summary>
[Collection(ApiFixtureGroup.Name)]
public sealed class ConnectionTuningTests(LedgerApiFactory factory)
{
    [Fact]
    public void AConnectionStringWithoutPreparationSettings_GetsThem()
    {
        var tuned = new NpgsqlConnectionStringBuilder(LedgerStore.Tuned("Host=db;Username=ledger;Database=ledger"));

        tuned.MaxAutoPrepare.Should().Be(LedgerStore.AutoPreparedStatementsMax);
        tuned.AutoPrepareMinUsages.Should().Be(2);
        tuned.Host.Should().Be("db");
    }

    [Fact]
    public void AConnectionStringThatSetsPreparation_KeepsItsOwnValues()
    {
        var tuned = new NpgsqlConnectionStringBuilder(LedgerStore.Tuned("Host=db;Max Auto Prepare=0;Auto Prepare Min Usages=7"));

        tuned.MaxAutoPrepare.Should().Be(0);
        tuned.AutoPrepareMinUsages.Should().Be(7);
    }

    [Fact]
    public async Task TheApi_ConnectsWithPreparationOn_ForMartenAndForItsOwnStatements()
    {
        new NpgsqlConnectionStringBuilder(factory.Services.GetRequiredService<NpgsqlDataSource>().ConnectionString).MaxAutoPrepare
            .Should().Be(LedgerStore.AutoPreparedStatementsMax);
        await using var session = factory.Services.GetRequiredService<IDocumentStore>().QuerySession();
        await using var command = session.Connection!.CreateCommand();
        command.CommandText = "select 1";
        await command.ExecuteScalarAsync();
        new NpgsqlConnectionStringBuilder(session.Connection.ConnectionString).MaxAutoPrepare.Should().Be(LedgerStore.AutoPreparedStatementsMax);
    }
}
