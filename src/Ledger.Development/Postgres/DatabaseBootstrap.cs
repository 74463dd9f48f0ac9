using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Ledger.Development.Postgres;

/// <summary>
/// Uses <c>ConnectionStrings:Ledger</c> when set; otherwise, where <see cref="EmbeddedInfrastructure"/> allows it,
/// provisions the embedded PostgreSQL in <c>Postgres:DataDirectory</c> (default <c>.ledger/postgres</c>), which the caller
/// stops when it stops, and anywhere else refuses to start. The API, the workers and the <c>ledger</c> tool all resolve
/// their database here, so the same settings reach the same database from each.
/// </summary>
public static class DatabaseBootstrap
{
    public const string ConnectionStringName = "Ledger";
    public const string DataDirectoryKey = "Postgres:DataDirectory";
    public const string BinDirectoryKey = "Postgres:BinDirectory";
    public const string DefaultDataDirectory = ".ledger/postgres";

    public static (string ConnectionString, EmbeddedPostgres? Embedded) Resolve(IConfiguration configuration,
        EmbeddedInfrastructure infrastructure, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(infrastructure);
        ArgumentNullException.ThrowIfNull(loggers);
        infrastructure.RequireSettings(configuration, kafka: null);
        var configured = configuration.GetConnectionString(ConnectionStringName);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return (configured, null);
        }

        var embedded = EmbeddedPostgres.Start(new EmbeddedPostgresOptions
        {
            DataDirectory = configuration[DataDirectoryKey] ?? DefaultDataDirectory,
            BinDirectory = configuration[BinDirectoryKey],
        }, loggers.CreateLogger("Ledger.EmbeddedPostgres"));
        return (embedded.ConnectionString, embedded);
    }
}
