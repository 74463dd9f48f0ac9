using System.CommandLine;
using Ledger.Contracts;

namespace Ledger.Cli.Contracts;

/// <summary><c>ledger contracts ...</c>: the integration contracts the ledger publishes on Kafka (docs/contracts.md).</summary>
internal static class ContractCommands
{
    public static Command Create() => new("contracts", "The integration contracts published on Kafka.")
    {
        CreateSchemas(),
    };

    private static Command CreateSchemas()
    {
        var output = new Option<DirectoryInfo>("--out")
        {
            Description = "The folder to write to, created when missing; the checked-in schemas are in src/Ledger.Contracts/Schemas.",
            Required = true,
        };
        var schemas = new Command("schemas",
            "Write the JSON Schema (draft 2020-12) of every integration event's data, one <ce_type>.schema.json per type "
            + "and version, generated from the contract types. Existing files of the same name are replaced.")
        {
            output,
        };
        schemas.SetAction(parseResult => Write(parseResult.GetRequiredValue(output), parseResult.InvocationConfiguration.Output));
        return schemas;
    }

    private static int Write(DirectoryInfo folder, TextWriter output)
    {
        folder.Create();
        foreach (var contract in ContractSchemas.All)
        {
            var path = Path.Combine(folder.FullName, contract.FileName);
            File.WriteAllText(path, ContractSchemas.Generate(contract));
            output.WriteLine($"{contract.Type} -> {path}");
        }

        return ExitCodes.Success;
    }
}
