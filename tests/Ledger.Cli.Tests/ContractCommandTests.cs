using Ledger.Contracts;

namespace Ledger.Cli.Tests;

/// <summary><c>ledger contracts schemas</c>: the command that regenerates the checked-in schemas (docs/contracts.md).</summary>
public sealed class ContractCommandTests : IDisposable
{
    private readonly DirectoryInfo _folder = new(Path.Combine(Path.GetTempPath(), $"ledger-schemas-{Guid.NewGuid():N}"));

    [Fact]
    public async Task Schemas_WritesOneFilePerContract_IdenticalToTheCheckedInOnes()
    {
        var written = Path.Combine(_folder.FullName, "new");

        var result = await LedgerCli.RunRawAsync(["contracts", "schemas", "--out", written]);

        result.ExitCode.Should().Be(0, result.ToString());
        Directory.GetFiles(written).Select(Path.GetFileName).Should().BeEquivalentTo(ContractSchemas.All.Select(contract => contract.FileName));
        foreach (var contract in ContractSchemas.All)
        {
            File.ReadAllText(Path.Combine(written, contract.FileName)).Should().Be(ContractSchemas.Published(contract), contract.Type);
            result.Output.Should().Contain(contract.Type);
        }
    }

    [Fact]
    public async Task Schemas_ReplacesAnOutdatedFile()
    {
        _folder.Create();
        var contract = ContractSchemas.Of(CloudEventTypes.MoneyDeposited);
        var path = Path.Combine(_folder.FullName, contract.FileName);
        await File.WriteAllTextAsync(path, "{}");

        var result = await LedgerCli.RunRawAsync(["contracts", "schemas", "--out", _folder.FullName]);

        result.ExitCode.Should().Be(0, result.ToString());
        (await File.ReadAllTextAsync(path)).Should().Be(ContractSchemas.Generate(contract));
    }

    [Fact]
    public async Task Schemas_WithoutOut_IsAUsageError()
    {
        var result = await LedgerCli.RunRawAsync(["contracts", "schemas"]);

        result.ExitCode.Should().Be(ExitCodes.Usage, result.ToString());
    }

    public void Dispose()
    {
        if (_folder.Exists)
        {
            _folder.Delete(recursive: true);
        }
    }
}
