using System.CommandLine;
using Ledger.Cli.Kafka;

// Composition only: each command group lives in its own folder and hands back one Command.
var root = new RootCommand("ledger: run and inspect the Ledger banking ledger from the command line.")
{
    KafkaCommands.Create(),
};

return await root.Parse(args).InvokeAsync();
