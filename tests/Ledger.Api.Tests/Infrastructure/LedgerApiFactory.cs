using System.Security.Cryptography;
using Ledger.Contracts;
using Ledger.EventStore.Audit;
using Ledger.EventStore.Projections;
using Ledger.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Ledger.Api.Tests.Infrastructure;

/// <summary>
/// The real API, hosted in memory against a fresh database on the test run's PostgreSQL server, with the embedded Kafka a
/// developer gets (asked for with <c>Ledger:Embedded</c>: the environment is Testing, not Development) and the schema
/// applied at start (ADR-015; the production path, check and <c>ledger db migrate</c>, has its own tests in StartupTests).
/// One instance is shared by every HTTP test class (see <see cref="ApiFixtureGroup"/>); tests isolate themselves by
/// using new account ids.
/// </summary>
public sealed class LedgerApiFactory : WebApplicationFactory<Program>
{
    /// <summary>Clients act as an administrator unless a test gives them a role (<see cref="TestTokens.As"/>).</summary>
    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        client.As(Roles.Admin);
    }

    public string ConnectionString { get; } = PostgresServer.CreateDatabase();

    /// <summary>The read models the API keeps: the ledger's own unless a test adds one.</summary>
    public ProjectionCatalog Catalog { get; init; } = ProjectionCatalog.Ledger;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.UseSetting("ConnectionStrings:Ledger", ConnectionString);
        builder.UseSetting("Ledger:Embedded", "true");
        builder.UseSetting("Ledger:ApplySchemaOnStart", "true");
        // Integrity checkpoints are sealed as in production; each test host has a key of its own.
        builder.UseSetting(CheckpointSeal.Setting, Convert.ToBase64String(RandomNumberGenerator.GetBytes(CheckpointSeal.KeyBytesMin)));
        builder.UseEnvironment("Testing");
        builder.ConfigureTestServices(services => services.AddSingleton(Catalog));
        TestTokens.TrustIn(builder);
        TestLimits.RaiseIn(builder);
    }
}

[CollectionDefinition(Name)]
public sealed class ApiFixtureGroup : ICollectionFixture<LedgerApiFactory>
{
    public const string Name = "api";
}

/// <summary>
/// The load tests (hundreds of writes at once on a few accounts): an API and a database of their own, run after every other
/// collection of this assembly and alone, so that neither they nor their neighbours compete for the machine.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LoadGroup : ICollectionFixture<LedgerApiFactory>
{
    public const string Name = "load";
}
