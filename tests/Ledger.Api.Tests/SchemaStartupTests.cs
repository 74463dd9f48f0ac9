using Ledger.EventStore;
using Ledger.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Ledger.Api.Tests;

/// <summary>
/// Outside Development the API never changes its schema: it refuses a database that is not current, naming
/// `ledger db migrate`, and starts once the tool has migrated it or its script has been applied (ADR-015).
/// </summary>
public sealed class SchemaStartupTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task EmptyDatabase_InProduction_IsRefusedNamingLedgerDbMigrate_AndLeftUntouched()
    {
        var database = PostgresServer.CreateDatabase();
        await using var api = new ProductionHost(database);

        var start = () => api.CreateClient();

        start.Should().Throw<StartupRefusedException>().WithMessage("*schema is not current*`ledger db migrate`*ConnectionStrings:Ledger*");
        (await TableExistsAsync(database, "ledger.mt_events")).Should().BeFalse("only `ledger db migrate` creates the schema here");
    }

    [Fact]
    public async Task AfterLedgerDbMigrate_TheApiStartsAndServes()
    {
        var database = PostgresServer.CreateDatabase();

        var (exitCode, output, error) = await LedgerAsync("db", "migrate", "--connection", database);

        exitCode.Should().Be(0, error);
        output.Should().Contain("create ledger.mt_events").And.Contain("create ledger.account_entries").And.Contain("the schema is current");
        await using var api = new ProductionHost(database);
        (await new Teller(api.CreateClient()).OpenAccountAsync()).Should().NotBeEmpty();
        (await LedgerAsync("db", "migrate", "--connection", database)).Output.Should().Contain("nothing to apply");
    }

    [Fact]
    public async Task DbScript_PrintsTheSchema_AndApplyingItMakesTheSchemaCurrent()
    {
        var database = PostgresServer.CreateDatabase();

        var (exitCode, script, error) = await LedgerAsync("db", "script", "--connection", database);

        exitCode.Should().Be(0, error);
        script.Should().Contain("CREATE TABLE IF NOT EXISTS ledger.mt_events").And.Contain("CREATE TABLE IF NOT EXISTS ledger.account_entries");
        (await TableExistsAsync(database, "ledger.mt_events")).Should().BeFalse("the script changes nothing");
        await Sql.ExecuteAsync(database, script);
        (await LedgerAsync("db", "script", "--connection", database)).Output.Should().Contain("The schema is current");
        await using var api = new ProductionHost(database);
        (await new Teller(api.CreateClient()).OpenAccountAsync()).Should().NotBeEmpty();
    }

    [Fact]
    public async Task CliCommand_InProduction_OnAnEmptyDatabase_IsRefusedNamingLedgerDbMigrate()
    {
        var (exitCode, _, error) = await LedgerAsync("projections", "list", "--connection", PostgresServer.CreateDatabase());

        exitCode.Should().Be(1);
        error.Should().Contain("schema is not current").And.Contain("`ledger db migrate`");
    }

    private static Task<(int ExitCode, string Output, string Error)> LedgerAsync(params string[] args) =>
        ChildProcess.RunAsync("ledger.dll", args, new Dictionary<string, string?> { ["DOTNET_ENVIRONMENT"] = "Production" }, Patience);

    private static Task<bool> TableExistsAsync(string database, string table) =>
        Sql.ScalarAsync<bool>(database, "select to_regclass($1) is not null", table);

    /// <summary>The API as deployed: environment Production, nothing embedded, no Kafka (relay and consumers off).</summary>
    private sealed class ProductionHost(string connectionString) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            ArgumentNullException.ThrowIfNull(builder);
            builder.UseEnvironment("Production");
            builder.UseSetting("ConnectionStrings:Ledger", connectionString);
            builder.UseSetting("Kafka:BootstrapServers", "");
            builder.UseSetting("Kafka:RelayEnabled", "false");
            builder.UseSetting("Kafka:ConsumersEnabled", "false");
            builder.UseSetting("Projections:RunAsync", "false");
            TestTokens.TrustIn(builder);
            TestLimits.RaiseIn(builder);
        }
    }
}
