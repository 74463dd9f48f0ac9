using System.Text;
using System.Text.Json;
using Ledger.AuditLog;
using Ledger.Contracts;
using Ledger.Testing;

namespace Ledger.Cli.Tests;

/// <summary><c>ledger dlq list</c>: what the audit consumer dead-lettered, read back from the dead-letter topic.</summary>
public sealed class DeadLetterListTests : DeadLetterScenario
{
    [Fact]
    public async Task List_ShowsWhatTheConsumerDeadLettered_WithReasonOriginAndPayload()
    {
        var ada = Guid.NewGuid();
        await StartAuditConsumerAsync();
        var notJson = KafkaTestMessages.MoneyDeposited(ada, 2).WithBody("not json");
        var unknownType = KafkaTestMessages.MoneyDeposited(ada, 3).WithHeader(CloudEventHeaders.Type, "ledger.money.teleported.v1");
        // One key, so one partition: the poison messages sit between two good ones, in this order.
        var delivered = new List<Confluent.Kafka.DeliveryResult<string, byte[]>>();
        foreach (var message in new[] { KafkaTestMessages.AccountCreated(ada), notJson, unknownType, KafkaTestMessages.MoneyDeposited(ada, 4) })
        {
            delivered.Add(await Producer.ProduceAccountEventAsync(message));
        }

        await WaitForAuditAsync(status => status.Entries == 2, "the two good messages in the audit log");
        LedgerKafka.Read(Kafka.BootstrapServers, KafkaTopics.AccountEventsDeadLetters, 2).Should().HaveCount(2);

        var result = await DlqAsync("list", "--json");

        result.ExitCode.Should().Be(0, result.ToString());
        result.Json().GetProperty("matched").GetInt64().Should().Be(2);
        var letters = result.Json().GetProperty("deadLetters").EnumerateArray().ToList();
        letters.Select(letter => (
                letter.GetProperty("consumerGroup").GetString(),
                letter.GetProperty("originalTopic").GetString(),
                letter.GetProperty("originalPartition").GetInt32(),
                letter.GetProperty("originalOffset").GetInt64(),
                letter.GetProperty("eventId").GetString(),
                letter.GetProperty("key").GetString()))
            .Should().Equal(delivered.Skip(1).Take(2).Select(original => (
                (string?)AuditConsumer.Group, (string?)KafkaTopics.AccountEvents, original.Partition.Value, original.Offset.Value,
                (string?)original.Message.EventId().ToString(), (string?)ada.ToString())));
        letters[0].GetProperty("reason").GetString().Should().StartWith("The body is not a valid ledger.money.deposited.v1 JSON document");
        letters[1].GetProperty("reason").GetString().Should().Be("Unknown ce_type 'ledger.money.teleported.v1'.");
        letters[1].GetProperty("eventType").GetString().Should().Be("ledger.money.teleported.v1");
        letters[0].GetProperty("payloadEncoding").GetString().Should().Be("base64");
        Encoding.UTF8.GetString(Convert.FromBase64String(letters[0].GetProperty("payload").GetString()!)).Should().Be("not json");
        letters[1].GetProperty("payloadEncoding").GetString().Should().Be("json");
        letters[1].GetProperty("payload").GetProperty("amount").GetString().Should().Be("10.00", "a JSON payload is shown as JSON");
        Headers(letters[1]).Should().Contain([
            (CloudEventHeaders.Id, unknownType.EventId().ToString()),
            (CloudEventHeaders.DeadLetterReason, "Unknown ce_type 'ledger.money.teleported.v1'."),
            (CloudEventHeaders.DeadLetterConsumerGroup, AuditConsumer.Group)]);
        letters.Select(letter => letter.GetProperty("replays").GetArrayLength()).Should().Equal(0, 0);
        letters.Select(letter => letter.GetProperty("deadLetteredAt").GetDateTimeOffset()).Should()
            .OnlyContain(at => at > DateTimeOffset.UtcNow.AddMinutes(-10) && at <= DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public async Task List_ForPeople_IsATableWithIdGroupAndReason()
    {
        var id = await PlaceDeadLetterAsync(KafkaTestMessages.AccountCreated(Guid.NewGuid()), reason: "Unknown ce_type 'x'.");

        var result = await DlqAsync("list");

        result.ExitCode.Should().Be(0, result.ToString());
        result.Output.Should().Contain(id).And.Contain(AuditConsumer.Group).And.Contain("Unknown ce_type 'x'.")
            .And.Contain($"{KafkaTopics.AccountEvents} [1] @7").And.Contain(CloudEventTypes.AccountCreated);
        result.Output.Should().Contain($"1 dead letters on {KafkaTopics.AccountEventsDeadLetters}");
    }

    [Fact]
    public async Task List_ByGroup_ShowsOnlyThatGroupsDeadLetters_AndLimitKeepsTheOldest()
    {
        // One key, so one partition: offsets order them where their timestamps tie.
        var ada = Guid.NewGuid();
        var audit = await PlaceDeadLetterAsync(KafkaTestMessages.AccountCreated(ada));
        var fraud = await PlaceDeadLetterAsync(KafkaTestMessages.MoneyDeposited(ada, 2), group: "ledger-fraud");
        var later = await PlaceDeadLetterAsync(KafkaTestMessages.MoneyDeposited(ada, 3), group: "ledger-fraud");

        var byGroup = await DlqAsync("list", "--group", "ledger-fraud", "--json");
        var limited = await DlqAsync("list", "--limit", "2", "--json");
        var none = await DlqAsync("list", "--group", "ledger-nobody", "--json");

        Ids(byGroup).Should().BeEquivalentTo([fraud, later]);
        byGroup.Json().GetProperty("matched").GetInt64().Should().Be(2);
        limited.Json().GetProperty("matched").GetInt64().Should().Be(3);
        Ids(limited).Should().Equal(audit, fraud);
        Ids(none).Should().BeEmpty();
    }

    [Fact]
    public async Task List_OfAnEmptyTopic_SaysSo()
    {
        var result = await DlqAsync("list");

        result.ExitCode.Should().Be(0, result.ToString());
        result.Output.Trim().Should().Be($"0 dead letters on {KafkaTopics.AccountEventsDeadLetters}");
    }

    [Fact]
    public async Task List_WithoutKafka_IsAUsageError()
    {
        var result = await Ledger.RunAsync("dlq", "list");

        result.ExitCode.Should().Be(2, result.ToString());
        result.Error.Should().Contain("--bootstrap-servers");
    }

    [Fact]
    public async Task List_WithAnUnreachableKafka_FailsWithinItsTimeout()
    {
        var result = await Ledger.RunAsync("dlq", "list", "--bootstrap-servers", "127.0.0.1:1", "--timeout", "2");

        result.ExitCode.Should().Be(1, result.ToString());
        result.Error.Should().StartWith("error: Kafka at 127.0.0.1:1");
    }

    private static List<string?> Ids(CliResult result) =>
        [.. result.Json().GetProperty("deadLetters").EnumerateArray().Select(letter => letter.GetProperty("id").GetString())];

    private static List<(string?, string?)> Headers(JsonElement letter) =>
        [.. letter.GetProperty("headers").EnumerateArray().Select(header => (header.GetProperty("name").GetString(), header.GetProperty("value").GetString()))];
}
