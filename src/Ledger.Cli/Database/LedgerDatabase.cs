using Ledger.AuditLog;
using Ledger.Development;
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

/// <summary>What opening the database does about its schema.</summary>
internal enum SchemaUse
{
    /// <summary>Applies pending changes in Development (or with Ledger:ApplySchemaOnStart), elsewhere refuses them (ADR-015).</summary>
    Current,

    /// <summary>Leaves the schema as it is: <c>ledger db script</c> and <c>ledger db migrate</c> look at it themselves.</summary>
    AsItIs,
}

/// <summary>
/// The ledger's database as a command uses it: the API's own store configuration, its schema checked (or, in
/// Development, made current), a data source, and the store's serializer. Disposing stops the embedded PostgreSQL only if
/// this process started it.
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

    public static async Task<LedgerDatabase> OpenAsync(IConfiguration configuration, ILoggerFactory loggers, SchemaUse schema,
        CancellationToken cancellation)
    {
        // DOTNET_ENVIRONMENT decides, as for the workers: Development may start the embedded PostgreSQL (ADR-015).
        var infrastructure = EmbeddedInfrastructure.ForTool(configuration);
        var (connectionString, embedded) = DatabaseBootstrap.Resolve(configuration, infrastructure, loggers);
        DocumentStore? store = null;
        try
        {
            // Exactly what the API configures (the relay's and the consumers' tables included), so that what is current
            // here is current for the API, and `ledger db migrate` creates what the API needs.
            store = DocumentStore.For(options =>
            {
                LedgerStore.Configure(options, connectionString, Catalog);
                MessagingStore.Configure(options);
                FraudStore.Configure(options);
                AuditLogStore.Configure(options);
            });
            if (schema == SchemaUse.Current && infrastructure.ApplySchemaOnStart)
            {
                await LedgerSchema.ApplyAsync(store, cancellation);
            }
            else if (schema == SchemaUse.Current)
            {
                await LedgerSchema.EnsureCurrentAsync(store, cancellation);
            }

            return new LedgerDatabase(store, NpgsqlDataSource.Create(LedgerStore.Tuned(connectionString)), embedded);
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
