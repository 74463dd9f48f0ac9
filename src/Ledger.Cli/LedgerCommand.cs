using System.CommandLine;
using Ledger.Cli.Checks;
using Ledger.Cli.Contracts;
using Ledger.Cli.Identity;
using Ledger.Cli.Database;
using Ledger.Cli.DeadLetters;
using Ledger.Cli.Kafka;
using Ledger.Cli.Projections;
using Ledger.Cli.Relay;
using Ledger.Cli.Seeding;

namespace Ledger.Cli;

/// <summary>The whole command tree, built here so that tests can run any command in-process with their own writers.</summary>
internal static class LedgerCommand
{
    /// <summary>Composition only: each command group lives in its own folder and hands back one Command.</summary>
    public static RootCommand Create() => new("ledger: run and inspect the Ledger banking ledger from the command line.")
    {
        CheckCommands.Create(),
        ContractCommands.Create(),
        DatabaseCommands.Create(),
        DeadLetterCommands.Create(),
        KafkaCommands.Create(),
        ProjectionCommands.Create(),
        RelayCommands.Create(),
        SeedCommand.Create(),
        TokenCommand.Create(),
    };

    /// <summary>
    /// Parses and runs. A command line that does not parse exits with <see cref="ExitCodes.Usage"/> (System.CommandLine's
    /// own code is 1, which here means that a command ran and failed).
    /// </summary>
    public static async Task<int> InvokeAsync(IReadOnlyList<string> args, InvocationConfiguration? configuration = null,
        CancellationToken cancellation = default)
    {
        var parsed = Create().Parse(args);
        var exitCode = await parsed.InvokeAsync(configuration, cancellation);
        return parsed.Errors.Count > 0 ? ExitCodes.Usage : exitCode;
    }
}
