using Ledger.EventStore.Postgres;

namespace Ledger.Api.Hosting;

/// <summary>
/// Uses <c>ConnectionStrings:Ledger</c> when set; otherwise provisions the embedded PostgreSQL in
/// <c>Postgres:DataDirectory</c> (default <c>.ledger/postgres</c>), which the caller stops when the app stops.
/// </summary>
public static class DatabaseBootstrap
{
    public const string ConnectionStringName = "Ledger";
    public const string DefaultDataDirectory = ".ledger/postgres";

    public static (string ConnectionString, EmbeddedPostgres? Embedded) Resolve(IConfiguration configuration, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(loggers);
        var configured = configuration.GetConnectionString(ConnectionStringName);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return (configured, null);
        }

        var embedded = EmbeddedPostgres.Start(new EmbeddedPostgresOptions
        {
            DataDirectory = configuration["Postgres:DataDirectory"] ?? DefaultDataDirectory,
            BinDirectory = configuration["Postgres:BinDirectory"],
        }, loggers.CreateLogger("Ledger.EmbeddedPostgres"));
        return (embedded.ConnectionString, embedded);
    }
}
