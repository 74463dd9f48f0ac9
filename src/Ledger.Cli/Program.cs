using System.CommandLine;
using Ledger.Cli;

return await LedgerCommand.InvokeAsync(args, new InvocationConfiguration
{
    // Ctrl+C cancels the running command, which then drops its work tables and records the cancellation; this is how
    // long it may take before the process ends anyway.
    ProcessTerminationTimeout = TimeSpan.FromSeconds(30),
});
