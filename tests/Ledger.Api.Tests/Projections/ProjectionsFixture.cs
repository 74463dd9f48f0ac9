using System.Net;
using System.Text.Json;
using Ledger.Api.Tests.Infrastructure;
using Ledger.EventStore.Projections;
using Ledger.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Ledger.Api.Tests.Projections;

/// <summary>
/// The projection tests rebuild and tamper whole tables, so they get an API and a database of their own instead of the
/// shared one; within the collection they run one after another.
/// </summary>
public class ProjectionsFixture : IDisposable
{
    public ProjectionsFixture() : this(ProjectionCatalog.Ledger)
    {
    }

    /// <summary>An API keeping the read models of <paramref name="catalog"/>.</summary>
    protected ProjectionsFixture(ProjectionCatalog catalog)
    {
        Catalog = catalog;
        Factory = new LedgerApiFactory { Catalog = catalog };
    }

    public LedgerApiFactory Factory { get; }

    public ProjectionCatalog Catalog { get; }

    public Teller Teller => new(Factory.CreateClient());

    public Auditor Auditor => new(Factory.CreateClient());

    public Analyst Analyst => new(Factory.CreateClient());

    /// <summary>Holds and status changes decided by the domain and appended through the API's store (<see cref="LedgerWriter"/>).</summary>
    public LedgerWriter Writer => new(Factory.Services.GetRequiredService<Marten.IDocumentStore>());

    public ProjectionRebuilder Rebuilder => Factory.Services.GetRequiredService<ProjectionRebuilder>();

    public NpgsqlDataSource DataSource => Factory.Services.GetRequiredService<NpgsqlDataSource>();

    public void Dispose()
    {
        Factory.Dispose();
        GC.SuppressFinalize(this);
    }

    public Task<RebuildOutcome> VerifyAsync(string projection) =>
        Rebuilder.RunAsync(Guid.NewGuid(), Catalog.Find(projection)!, RebuildKind.Verify, "test", progress: null, CancellationToken.None);

    /// <summary>Waits until every async projection has applied every committed event.</summary>
    public Task WaitForReportsAsync() => Analyst.WaitForReportsAsync();

    /// <summary>Every row of a projection's table as JSON text, in key order, with the compared columns only.</summary>
    public async Task<IReadOnlyList<string>> RowsAsync(string projection)
    {
        var p = Catalog.Find(projection)!;
        var columns = string.Join(", ", p.KeyColumns.Concat(p.ComparedColumns));
        await using var command = DataSource.CreateCommand(
            $"select row_to_json(t)::text from (select {columns} from ledger.{p.Table} order by {string.Join(", ", p.KeyColumns)}) t");
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }

    public string ConnectionString => Factory.ConnectionString;

    public Task ExecuteAsync(string sql, params object[] parameters) => Sql.ExecuteAsync(ConnectionString, sql, parameters);

    public Task<T> ScalarAsync<T>(string sql, params object[] parameters) => Sql.ScalarAsync<T>(ConnectionString, sql, parameters);

    /// <summary>Starts a rebuild over HTTP and returns the Location to follow it at.</summary>
    public async Task<Uri> StartRebuildAsync(string name)
    {
        using var response = await Analyst.StartRebuildRawAsync(name);
        var body = await Teller.Expect(response, HttpStatusCode.Accepted);
        body.GetProperty("projection").GetString().Should().Be(name);
        body.GetProperty("state").GetString().Should().Be("running");
        response.Headers.Location.Should().NotBeNull();
        response.Headers.Location!.ToString().Should().Be($"/api/v1/projections/{name}/rebuilds/{body.GetProperty("rebuildId").GetGuid()}");
        return response.Headers.Location;
    }

    /// <summary>Follows a rebuild started over HTTP until it ends; returns its last view.</summary>
    public Task<JsonElement> WaitForRebuildAsync(Uri location) =>
        Eventually.ReachesAsync(() => GetOkAsync(location.ToString()), view => view.GetProperty("state").GetString() != "running",
            $"rebuild {location} to finish");

    /// <summary>A read of the projections and reports, as an analyst.</summary>
    public Task<JsonElement> GetOkAsync(string path) => Analyst.GetOkAsync(path);
}

[CollectionDefinition(Name)]
public sealed class ProjectionsGroup : ICollectionFixture<ProjectionsFixture>
{
    public const string Name = "projections";
}

/// <summary>An <see cref="IProgress{T}"/> that reports on the caller's thread, so a test can act at an exact point.</summary>
public sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
