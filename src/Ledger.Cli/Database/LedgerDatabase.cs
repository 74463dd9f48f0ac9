using Ledger.AuditLog;
using Ledger.Development.Postgres;
using Ledger.EventStore;
using Ledger.EventStore.Projections;
using Ledger.Fraud;
using Ledger.Messaging;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Ledger.Cli.Database;

/// <summary>
/// The ledger's database as a command uses it: the schema made current with the API's own store configuration, a data
/// source, and the store's serializer. Disposing stops the embedded PostgreSQL only if this process started it.
/// </summary>
internal sealed class LedgerDatabase : IAsyncDisposable
{
    private readonly DocumentStore _store;
    private readonly EmbeddedPostgres? _embedded;

    private LedgerDatabase(DocumentStore store, NpgsqlDataSource dataSource, EmbeddedPostgres? embedded)
    {
        _store = store;
        _embedded = embedded;
        DataSource = dataSource;
        Serializer = store.Options.Serializer();
    }

    /// <summary>The read models the CLI lists, rebuilds and verifies: the ledger's own, as the API serves them.</summary>
    public static ProjectionCatalog Catalog => ProjectionCatalog.Ledger;

    public NpgsqlDataSource DataSource { get; }

    /// <summary>The store configured as the API configures it, for commands that read events through Marten.</summary>
    public IDocumentStore Store => _store;

    public ISerializer Serializer { get; }

    public static async Task<LedgerDatabase> OpenAsync(IConfiguration configuration, ILoggerFactory loggers, CancellationToken cancellation)
    {
        var (connectionString, embedded) = DatabaseBootstrap.Resolve(configuration, loggers);
        DocumentStore? store = null;
        try
        {
            // Exactly what the API configures (the relay's and the consumers' tables included): applying it creates what is
            // missing and never changes or drops anything the API created.
            store = DocumentStore.For(options =>
            {
                LedgerStore.Configure(options, connectionString, Catalog);
                MessagingStore.Configure(options);
                FraudStore.Configure(options);
                AuditLogStore.Configure(options);
            });
            await store.Storage.Database.ApplyAllConfiguredChangesToDatabaseAsync(ct: cancellation);
            return new LedgerDatabase(store, NpgsqlDataSource.Create(connectionString), embedded);
        }
        catch
        {
            store?.Dispose();
            embedded?.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        _store.Dispose();
        // Last: a server this process started is stopped once nothing here still uses it.
        _embedded?.Dispose();
    }
}
