using System.CommandLine;
using System.CommandLine.Parsing;
using Ledger.Development;
using Ledger.Development.Postgres;
using Microsoft.Extensions.Configuration;

namespace Ledger.Cli.Database;

/// <summary>
/// <c>--connection</c> and <c>--data-dir</c>: which database a command works on. Without them the tool reads the same
/// settings as the API from the environment (<c>ConnectionStrings__Ledger</c>, <c>Postgres__DataDirectory</c>), and in
/// Development (<c>DOTNET_ENVIRONMENT</c>) falls back to the embedded PostgreSQL in <c>.ledger/postgres</c> of the current
/// directory, where the API keeps it too. Elsewhere no connection string is an error (ADR-015); <c>--data-dir</c> asks
/// for the embedded PostgreSQL explicitly, so it is honoured in any environment.
/// </summary>
internal sealed class DatabaseOptions
{
    public Option<string> Connection { get; } = new("--connection")
    {
        Description = "Npgsql connection string of the ledger's database (default: ConnectionStrings__Ledger; in Development, else the embedded PostgreSQL).",
        HelpName = "connection-string",
        Recursive = true,
    };

    public Option<string> DataDirectory { get; } = new("--data-dir")
    {
        Description = $"Folder of the embedded PostgreSQL, started if it is not running (default: Postgres__DataDirectory, else {DatabaseBootstrap.DefaultDataDirectory}).",
        HelpName = "folder",
        Recursive = true,
    };

    /// <summary>Adds both options to a command (and, being recursive, to its subcommands).</summary>
    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Add(Connection);
        command.Add(DataDirectory);
    }

    /// <summary>Refuses both options at once on the command that runs: one names a server, the other starts one.</summary>
    public void Validate(CommandResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.GetResult(Connection) is { Implicit: false } && result.GetResult(DataDirectory) is { Implicit: false })
        {
            result.AddError($"Use either {Connection.Name} or {DataDirectory.Name}, not both.");
        }
    }

    /// <summary>The environment, overridden by the options given on the command line.</summary>
    public IConfiguration Configuration(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        var overrides = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (parseResult.GetValue(Connection) is { } connection)
        {
            overrides[$"ConnectionStrings:{DatabaseBootstrap.ConnectionStringName}"] = connection;
        }

        if (parseResult.GetValue(DataDirectory) is { } dataDirectory)
        {
            // An explicit folder wins over a connection string inherited from the environment.
            overrides[$"ConnectionStrings:{DatabaseBootstrap.ConnectionStringName}"] = "";
            overrides[DatabaseBootstrap.DataDirectoryKey] = dataDirectory;
            overrides[EmbeddedInfrastructure.EnabledKey] = "true";
        }

        return new ConfigurationBuilder().AddEnvironmentVariables().AddInMemoryCollection(overrides).Build();
    }
}
