using Ledger.Development.Postgres;
using Ledger.EventStore;
using Ledger.EventStore.Projections;
using Marten;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

/// <summary>
/// A throwaway embedded PostgreSQL with the ledger's schema applied, its Marten store and a data source: what the as-of,
/// rebuild and audit benchmarks run on (the comparison with pgbench starts its own durable server for both sides).
/// </summary>
internal sealed class BenchDatabase : IAsyncDisposable
{
    private readonly EmbeddedPostgres _postgres;

    private BenchDatabase(EmbeddedPostgres postgres, DocumentStore store, NpgsqlDataSource dataSource)
    {
        _postgres = postgres;
        Store = store;
        DataSource = dataSource;
    }

    public DocumentStore Store { get; }

    public NpgsqlDataSource DataSource { get; }

    /// <summary>Starts the server (with fsync when <paramref name="durable"/>) and applies the schema.</summary>
    public static async Task<BenchDatabase> StartAsync(bool durable = false)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"ledger-bench-{Guid.NewGuid():N}");
        var postgres = EmbeddedPostgres.Start(new EmbeddedPostgresOptions { DataDirectory = folder, DeleteOnStop = true, Durable = durable },
            NullLogger.Instance);
        var store = DocumentStore.For(options => LedgerStore.Configure(options, postgres.ConnectionString, ProjectionCatalog.Ledger));
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        return new BenchDatabase(postgres, store, NpgsqlDataSource.Create(postgres.ConnectionString));
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        Store.Dispose();
        _postgres.Dispose();
    }
}
