using System.Text;
using Confluent.Kafka;
using Ledger.AuditLog;
using Ledger.Cli.DeadLetters;
using Ledger.Contracts;
using Ledger.Messaging.DeadLetters;
using Ledger.Testing;
using Npgsql;

namespace Ledger.Cli.Tests;

/// <summary>
/// <c>ledger dlq replay</c>: dead letters back on their original topic, consumed by the real audit consumer, recorded,
/// and refused with a clear error (and nothing published) when the command cannot do what it is asked.
/// </summary>
public sealed class DeadLetterReplayTests : DeadLetterScenario
{
    [Fact]
    public async Task ReplayById_PutsTheOriginalBack_AndTheConsumerHasOneEffectEvenWhenReplayedAgain()
    {
        // A good event the audit consumer failed on earlier (the database was down), set aside then; the cause is gone now.
        var original = KafkaTestMessages.AccountCreated(Guid.NewGuid());
        // Not the partition its key hashes to, so that the test tells "back to its original partition" from "where the key goes".
        var keyPartition = (await Producer.ProduceAsync(KafkaTopics.FraudAlerts, original).WaitAsync(KafkaTestMessages.Patience)).Partition.Value;
        var originalPartition = (keyPartition + 1) % 3;
        var id = await PlaceDeadLetterAsync(original, originalPartition: originalPartition, originalOffset: 5);
        await StartAuditConsumerAsync();

        var first = await DlqAsync("replay", "--id", id, "--operator", "alice", "--json");

        first.ExitCode.Should().Be(0, first.ToString());
        var replayed = first.Json().GetProperty("replayed").EnumerateArray().Should().ContainSingle().Subject;
        (replayed.GetProperty("id").GetString(), replayed.GetProperty("eventId").GetString(), replayed.GetProperty("consumerGroup").GetString(),
                replayed.GetProperty("originalOffset").GetInt64(), replayed.GetProperty("replayedPartition").GetInt32(), replayed.GetProperty("replayedBy").GetString())
            .Should().Be((id, original.EventId().ToString(), AuditConsumer.Group, 5L, originalPartition, "alice"));
        await WaitForAuditAsync(status => status.Entries == 1, "the replayed event in the audit log");
        var message = LedgerKafka.Read(Kafka.BootstrapServers, KafkaTopics.AccountEvents, 1).Should().ContainSingle().Subject;
        message.Partition.Value.Should().Be(originalPartition, "a replay goes back to its original partition");
        message.Message.Key.Should().Be(original.Key);
        message.Message.Value.Should().Equal(original.Value);
        HeadersOf(message.Message.Headers).Should().Equal([.. HeadersOf(original.Headers), (CloudEventHeaders.DeadLetterReplayedFrom, id)],
            "the original headers, without the dead-letter ones, and where the replay came from");

        var refused = await DlqAsync("replay", "--id", id);
        refused.ExitCode.Should().Be(1, refused.ToString());
        refused.Error.Should().Contain($"dead letter {id} was replayed already").And.Contain("by alice").And.Contain("--again");
        MessagesOn(KafkaTopics.AccountEvents).Should().Be(1, "a refused replay publishes nothing");

        var again = await DlqAsync("replay", "--id", id, "--again");
        again.ExitCode.Should().Be(0, again.ToString());
        again.Output.Should().StartWith($"replayed {id} (ce_id {original.EventId()}, {CloudEventTypes.AccountCreated}, group {AuditConsumer.Group}) " +
                                        $"to {KafkaTopics.AccountEvents} [{originalPartition}] @1");
        var status = await WaitForAuditAsync(status => status.DuplicatesIgnored == 1, "the second replay delivered, and ignored as a duplicate");
        status.Entries.Should().Be(1, "the consumer deduplicates by ce_id");
        var listed = (await DlqAsync("list", "--json")).Json().GetProperty("deadLetters").EnumerateArray().Should().ContainSingle().Subject;
        listed.GetProperty("replays").EnumerateArray().Select(replay => replay.GetProperty("replayedBy").GetString())
            .Should().Equal("alice", $"cli:{Environment.UserName}");
        (await Sql.ScalarAsync<long>(Ledger.ConnectionString, $"select count(*) from {DeadLetterReplayStore.QualifiedName}")).Should().Be(2);
    }

    [Fact]
    public async Task ReplayOfAMessageThatStillFails_IsDeadLetteredAgain_NamingTheDeadLetterItCameFrom()
    {
        await StartAuditConsumerAsync();
        await Producer.ProduceAccountEventAsync(KafkaTestMessages.AccountCreated(Guid.NewGuid()).WithHeader(CloudEventHeaders.Type, "ledger.account.renamed.v1"));
        var first = LedgerKafka.Read(Kafka.BootstrapServers, KafkaTopics.AccountEventsDeadLetters, 1).Should().ContainSingle().Subject;
        var firstId = $"{first.Partition.Value}:{first.Offset.Value}";

        var replay = await DlqAsync("replay", "--all");

        replay.ExitCode.Should().Be(0, replay.ToString());
        var second = LedgerKafka.Read(Kafka.BootstrapServers, KafkaTopics.AccountEventsDeadLetters, 2).Should().HaveCount(2).And.Subject.Last();
        HeadersOf(second.Message.Headers).Where(header => header.Name.StartsWith("ledger-dlq-", StringComparison.Ordinal)).Should().Equal(
            (CloudEventHeaders.DeadLetterReplayedFrom, firstId),
            (CloudEventHeaders.DeadLetterReason, "Unknown ce_type 'ledger.account.renamed.v1'."),
            (CloudEventHeaders.DeadLetterConsumerGroup, AuditConsumer.Group),
            (CloudEventHeaders.DeadLetterTopic, KafkaTopics.AccountEvents),
            (CloudEventHeaders.DeadLetterPartition, LedgerKafka.Header(first.Message.Headers, CloudEventHeaders.DeadLetterPartition)),
            (CloudEventHeaders.DeadLetterOffset, "1"));
        var secondId = $"{second.Partition.Value}:{second.Offset.Value}";
        var listed = (await DlqAsync("list", "--json")).Json().GetProperty("deadLetters").EnumerateArray().ToList();
        listed.Select(letter => (letter.GetProperty("id").GetString(), letter.GetProperty("replayedFrom").GetString(), letter.GetProperty("replays").GetArrayLength()))
            .Should().Equal((firstId, null, 1), (secondId, firstId, 0));
    }

    [Fact]
    public async Task ReplayAll_SkipsWhatWasReplayedAndWhatCannotBe_UnlessAgain()
    {
        var ada = Guid.NewGuid();
        var audit = await PlaceDeadLetterAsync(KafkaTestMessages.AccountCreated(ada));
        var fraud = await PlaceDeadLetterAsync(KafkaTestMessages.MoneyDeposited(ada, 2), group: "ledger-fraud");
        var broken = await PlaceDeadLetterAsync(KafkaTestMessages.MoneyDeposited(ada, 3), originalPartition: null);
        (await DlqAsync("replay", "--id", audit)).ExitCode.Should().Be(0);

        var all = await DlqAsync("replay", "--all", "--json");
        var nothingLeft = await DlqAsync("replay", "--all", "--json");
        var pending = await DlqAsync("list", "--pending", "--json");
        var again = await DlqAsync("replay", "--all", "--again", "--group", AuditConsumer.Group, "--json");

        all.ExitCode.Should().Be(0, all.ToString());
        Ids(all, "replayed").Should().Equal(fraud);
        Skipped(all).Should().Equal(
            (audit, "replayed already"),
            (broken, $"cannot be replayed: header {CloudEventHeaders.DeadLetterPartition} is missing or not a partition"));
        Ids(nothingLeft, "replayed").Should().BeEmpty();
        Ids(nothingLeft, "skipped").Should().Equal(audit, fraud, broken);
        Ids(pending, "deadLetters").Should().Equal(broken);
        Ids(again, "replayed").Should().Equal(audit);
        Ids(again, "skipped").Should().Equal(broken);
        MessagesOn(KafkaTopics.AccountEvents).Should().Be(3, "audit's dead letter twice, fraud's once");
    }

    [Fact]
    public async Task ReplayOfAnIdNotOnTheTopic_FailsAndPublishesNothing()
    {
        var present = await PlaceDeadLetterAsync(KafkaTestMessages.AccountCreated(Guid.NewGuid()));

        var result = await DlqAsync("replay", "--id", present, "--id", "0:999", "--id", "7:0");

        result.ExitCode.Should().Be(1, result.ToString());
        result.Error.Should().Contain($"no dead letter 0:999 on {KafkaTopics.AccountEventsDeadLetters}").And.Contain("no dead letter 7:0")
            .And.Contain("Nothing was replayed.");
        MessagesOn(KafkaTopics.AccountEvents).Should().Be(0);
        (await Sql.ScalarAsync<long>(Ledger.ConnectionString, $"select count(*) from {DeadLetterReplayStore.QualifiedName}")).Should().Be(0);
    }

    [Fact]
    public async Task ReplayOfADeadLetterFromAnotherTopic_IsRefused()
    {
        var id = await PlaceDeadLetterAsync(KafkaTestMessages.AccountCreated(Guid.NewGuid()), originalTopic: KafkaTopics.FraudAlerts);

        var result = await DlqAsync("replay", "--id", id);

        result.ExitCode.Should().Be(1, result.ToString());
        result.Error.Should().Contain($"only dead letters of {KafkaTopics.AccountEvents} are replayed");
        MessagesOn(KafkaTopics.FraudAlerts).Should().Be(0);
    }

    [Fact]
    public async Task ReplayWhileAnotherRuns_IsBusy()
    {
        var id = await PlaceDeadLetterAsync(KafkaTestMessages.AccountCreated(Guid.NewGuid()));
        await using var connection = new NpgsqlConnection(Ledger.ConnectionString);
        await connection.OpenAsync();
        await using (var locking = new NpgsqlCommand($"select pg_advisory_lock({DeadLetterReplayRun.ReplayLockId})", connection))
        {
            await locking.ExecuteNonQueryAsync();
        }

        var result = await DlqAsync("replay", "--id", id);

        result.ExitCode.Should().Be(3, result.ToString());
        result.Error.Should().Contain("another `ledger dlq replay` is running");
        MessagesOn(KafkaTopics.AccountEvents).Should().Be(0);
    }

    [Theory]
    [InlineData("exactly one of them", "replay")]
    [InlineData("exactly one of them", "replay", "--id", "0:1", "--all")]
    [InlineData("--id takes partition:offset (e.g. 0:42), not 'zero:1'", "replay", "--id", "zero:1")]
    [InlineData("not '0:-1'", "replay", "--id", "0:-1")]
    [InlineData("--group chooses dead letters for --all only", "replay", "--id", "0:1", "--group", "ledger-audit")]
    [InlineData("--timeout must be between 1 and 3600", "replay", "--all", "--timeout", "0")]
    [InlineData("--limit must be between 1 and 100000", "list", "--limit", "0")]
    public async Task BadArguments_AreUsageErrors(string says, params string[] args)
    {
        var result = await DlqAsync(args);

        result.ExitCode.Should().Be(2, result.ToString());
        result.Error.Should().Contain(says);
        MessagesOn(KafkaTopics.AccountEvents).Should().Be(0);
    }

    private static List<(string Name, string Value)> HeadersOf(Headers headers) =>
        [.. headers.Select(header => (header.Key, Encoding.UTF8.GetString(header.GetValueBytes())))];

    private static List<string?> Ids(CliResult result, string property) =>
        [.. result.Json().GetProperty(property).EnumerateArray().Select(item => item.GetProperty("id").GetString())];

    private static List<(string?, string)> Skipped(CliResult result) =>
        [.. result.Json().GetProperty("skipped").EnumerateArray()
            .Select(item => (item.GetProperty("id").GetString(), item.GetProperty("reason").GetString()!.Split(" (")[0]))];
}
