using System.Text.Json;
using System.Text.Json.Nodes;
using Ledger.Contracts;
using Ledger.Testing;

namespace Ledger.Contracts.Tests;

/// <summary>
/// The published JSON Schemas: the checked-in files are what the contract types generate, each names itself by the URI
/// the relay puts in <c>ce_dataschema</c>, and the documented examples are valid under them while broken ones are not.
/// </summary>
public sealed class ContractSchemaTests
{
    private const string Regenerate = "the checked-in schema must be what the type generates; run "
                                      + "`dotnet run --project src/Ledger.Cli -- contracts schemas --out src/Ledger.Contracts/Schemas` and review the diff";

    public static TheoryData<string> Types => [.. ContractSchemas.All.Select(contract => contract.Type)];

    [Theory]
    [MemberData(nameof(Types))]
    public void CheckedInSchema_IsWhatTheContractTypeGenerates(string type)
    {
        var contract = ContractSchemas.Of(type);

        ContractSchemas.Published(contract).Should().Be(ContractSchemas.Generate(contract), Regenerate);
    }

    /// <summary>Every ce_type is in the table above: a contract added without its required members pinned fails here.</summary>
    [Fact]
    public void EveryContract_HasItsRequiredMembersPinned()
    {
        Identities.Select(row => (string)row[0]).Should().BeEquivalentTo(ContractSchemas.All.Select(contract => contract.Type));
    }

    [Fact]
    public void CheckedInSchemas_AreOnePerContract()
    {
        ContractSchemas.PublishedFileNames().Should().BeEquivalentTo(ContractSchemas.All.Select(contract => contract.FileName),
            "a schema without a contract is a contract that was removed, which the versioning rule forbids");
        ContractSchemas.All.Select(contract => contract.Type).Should().BeEquivalentTo(
            [.. CloudEventTypes.AccountEventTypes.Keys, CloudEventTypes.FraudAlertRaised]);
    }

    public static TheoryData<string, string, string[]> Identities => new()
    {
        { CloudEventTypes.AccountCreated, "AccountCreatedV1", ["accountId", "owner", "currency", "overdraftLimit", "occurredAt"] },
        { CloudEventTypes.MoneyDeposited, "MoneyDepositedV1", ["accountId", "amount", "currency", "occurredAt"] },
        { CloudEventTypes.MoneyWithdrawn, "MoneyWithdrawnV1", ["accountId", "amount", "currency", "occurredAt"] },
        {
            CloudEventTypes.MoneyTransferred, "MoneyTransferredV1",
            ["accountId", "transferId", "fromAccountId", "toAccountId", "direction", "amount", "currency", "occurredAt"]
        },
        { CloudEventTypes.AccountFrozen, "AccountFrozenV1", ["accountId", "reason", "occurredAt"] },
        { CloudEventTypes.AccountUnfrozen, "AccountUnfrozenV1", ["accountId", "reason", "occurredAt"] },
        { CloudEventTypes.AccountClosed, "AccountClosedV1", ["accountId", "occurredAt"] },
        { CloudEventTypes.HoldPlaced, "HoldPlacedV1", ["accountId", "holdId", "amount", "currency", "purpose", "occurredAt"] },
        {
            CloudEventTypes.HoldCaptured, "HoldCapturedV1",
            ["accountId", "holdId", "fromAccountId", "direction", "amount", "held", "currency", "occurredAt"]
        },
        { CloudEventTypes.HoldReleased, "HoldReleasedV1", ["accountId", "holdId", "amount", "currency", "reason", "occurredAt"] },
        { CloudEventTypes.FraudAlertRaised, "FraudAlertV1", ["alertId", "rule", "accountId", "eventIds", "amount", "currency", "detectedAt", "occurredAt"] },
    };

    /// <summary>Nullable members (the optional reference) are left out of the JSON when absent, so they are not required.</summary>
    [Theory]
    [MemberData(nameof(Identities))]
    public void Schema_NamesItselfByItsDataSchemaUri_AndRequiresTheNonNullableMembers(string type, string title, string[] required)
    {
        var schema = JsonNode.Parse(ContractSchemas.Published(ContractSchemas.Of(type)))!.AsObject();

        schema["$schema"]!.GetValue<string>().Should().Be("https://json-schema.org/draft/2020-12/schema");
        schema["$id"]!.GetValue<string>().Should().Be($"urn:ledger:schema:{type}").And.Be(ContractSchemas.Of(type).DataSchema);
        schema["title"]!.GetValue<string>().Should().Be(title);
        schema["type"]!.GetValue<string>().Should().Be("object");
        schema["required"]!.AsArray().Select(name => name!.GetValue<string>()).Should().Equal(required);
        schema.ContainsKey("additionalProperties").Should().BeFalse("a field added within a version must not make old readers reject the message");
    }

    [Theory]
    [MemberData(nameof(ContractShapeTests.Examples), MemberType = typeof(ContractShapeTests))]
    public void DocumentedExample_IsValidUnderItsSchema(object message, string json)
    {
        ArgumentNullException.ThrowIfNull(message);

        ContractSchemaCheck.Problems(DataSchemaOf(message), json).Should().BeEmpty();
    }

    [Theory]
    [MemberData(nameof(ContractShapeTests.Examples), MemberType = typeof(ContractShapeTests))]
    public void ExampleWithAFieldAdded_StaysValid(object message, string json)
    {
        ArgumentNullException.ThrowIfNull(message);

        ContractSchemaCheck.Problems(DataSchemaOf(message), Edit(json, body => body["addedLater"] = "ignored by v1 readers")).Should().BeEmpty();
    }

    [Theory]
    [MemberData(nameof(ContractShapeTests.Examples), MemberType = typeof(ContractShapeTests))]
    public void ExampleWithoutARequiredField_IsInvalid(object message, string json)
    {
        ArgumentNullException.ThrowIfNull(message);
        var dataSchema = DataSchemaOf(message);
        var required = JsonNode.Parse(ContractSchemas.Published(ContractSchemas.All.Single(contract => contract.DataSchema == dataSchema)))!["required"]!
            .AsArray().Select(name => name!.GetValue<string>()).ToList();

        required.Should().NotBeEmpty().And.OnlyContain(name =>
            ContractSchemaCheck.Problems(dataSchema, Edit(json, body => body.Remove(name))).Any(problem => problem.Contains(name, StringComparison.Ordinal)));
    }

    [Theory]
    [MemberData(nameof(ContractShapeTests.Examples), MemberType = typeof(ContractShapeTests))]
    public void ExampleWithAWrongTypeOrFormat_IsInvalid(object message, string json)
    {
        ArgumentNullException.ThrowIfNull(message);
        var dataSchema = DataSchemaOf(message);

        // Freezes, unfreezes and closings carry no amount, so no currency.
        if (json.Contains("\"currency\"", StringComparison.Ordinal))
        {
            ContractSchemaCheck.Problems(dataSchema, Edit(json, body => body["currency"] = 978)).Should().ContainSingle()
                .Which.Should().StartWith("/currency");
        }

        ContractSchemaCheck.Problems(dataSchema, Edit(json, body => body["accountId"] = "account-7")).Should().ContainSingle()
            .Which.Should().StartWith("/accountId");
        ContractSchemaCheck.Problems(dataSchema, Edit(json, body => body["occurredAt"] = "yesterday")).Should().ContainSingle()
            .Which.Should().StartWith("/occurredAt");
    }

    private static string DataSchemaOf(object message) =>
        ContractSchemas.All.Single(contract => contract.DataType == message.GetType()).DataSchema;

    private static string Edit(string json, Action<JsonObject> edit)
    {
        var body = JsonNode.Parse(json)!.AsObject();
        edit(body);
        return body.ToJsonString(JsonSerializerOptions.Default);
    }
}
