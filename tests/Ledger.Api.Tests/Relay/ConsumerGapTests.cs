using System.Net.Http.Json;
using System.Text.Json;
using Confluent.Kafka;
using Ledger.AuditLog;
using Ledger.Contracts;
using Ledger.Messaging;
using Ledger.Messaging.Consumers;
using Ledger.Messaging.Relay;
using Ledger.Testing;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Ledger.Api.Tests.Relay;

/// <summary>
/// An audit consumer whose position fell below the log start (retention) is reported through its status, the gaps
/// endpoint, the metrics and a degraded <c>/health/ready</c>, and republishing the range it names fills the audit log.
/// Its own class, hence its own embedded Kafka: the test deletes records from the topic.
/// </summary>
public sealed class ConsumerGapTests(RelayFixture fixture) : IClassFixture<RelayFixture>
{
    private string Bootstrap => fixture.Kafka.BootstrapServers;

    [Fact]
    public async Task AuditConsumerBehindRetention_IsReportedAndDegradesReadiness_UntilARepublishFillsItsGap()
    {
        var database = EventStoreRows.NewDatabase();
        Guid ada;
        await using (var relayOnly = new RelayHost(Bootstrap, database, relayEnabled: true))
        {
            ada = await relayOnly.Teller.OpenAccountAsync();
            await relayOnly.Teller.DepositAsync(ada, 10);
            await relayOnly.Teller.DepositAsync(ada, 20);
            Topic.ReadUntil(Bootstrap, read => read.Count(message => message.Key == ada.ToString()) == 3);
        }

        // The audit group stood at the start of every partition when retention dropped everything published so far.
        DropEverythingPublishedBehindTheAuditGroup();
        await using var host = new RelayHost(Bootstrap, database, relayEnabled: true, consumersEnabled: true);
        using var http = host.CreateClient();
        await host.Teller.DepositAsync(ada, 30);

        var gaps = await Eventually.FoundAsync(async () =>
        {
            var view = await http.GetFromJsonAsync<JsonElement>("/api/v1/consumers/gaps");
            return view.GetProperty("open").GetArrayLength() > 0 ? (JsonElement?)view.GetProperty("open") : null;
        });
        var gap = gaps.EnumerateArray().Should().ContainSingle().Subject;
        gap.GetProperty("consumerGroup").GetString().Should().Be(AuditConsumer.Group);
        gap.GetProperty("missingMessages").GetInt64().Should().Be(3);
        gap.GetProperty("republishFromSequence").GetInt64().Should().Be(1);
        var audit = await http.GetFromJsonAsync<JsonElement>("/api/v1/audit/status");
        audit.GetProperty("lostMessages").GetArrayLength().Should().Be(1);
        (await ReadinessAsync(http)).Should().Be("Degraded");
        (await http.GetStringAsync(new Uri("/metrics", UriKind.Relative))).Should().Contain("ledger_consumer_lost_messages");

        var republished = await RepublisherOf(host).RepublishAsync(1, gap.GetProperty("republishToSequence").GetInt64(), CancellationToken.None);

        republished.GapsRepaired.Should().ContainSingle();
        audit = await Eventually.FoundAsync(async () =>
        {
            var status = await http.GetFromJsonAsync<JsonElement>("/api/v1/audit/status");
            return status.GetProperty("entries").GetInt64() == 4 ? (JsonElement?)status : null;
        });
        audit.GetProperty("accountsWithGaps").GetInt64().Should().Be(0);
        audit.GetProperty("lostMessages").GetArrayLength().Should().Be(0);
        (await ReadinessAsync(http)).Should().Be("Healthy");
    }

    private void DropEverythingPublishedBehindTheAuditGroup()
    {
        using var committer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = Bootstrap,
            GroupId = AuditConsumer.Group,
            EnableAutoCommit = false,
        }).Build();
        var partitions = Enumerable.Range(0, 6).Select(partition => new TopicPartition(KafkaTopics.AccountEvents, partition)).ToList();
        committer.Commit(partitions.Select(partition => new TopicPartitionOffset(partition, 0)));
        foreach (var partition in partitions)
        {
            var end = committer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10)).High.Value;
            fixture.Kafka.DeleteRecords(partition.Topic, partition.Partition.Value, end);
        }
    }

    private static RelayRepublisher RepublisherOf(RelayHost host) => new(host.Services.GetRequiredService<IDocumentStore>(),
        host.Services.GetRequiredService<EventPublisher>(), host.Services.GetRequiredService<ConsumerGapStore>(),
        host.Services.GetRequiredService<IOptions<KafkaOptions>>(), TimeProvider.System);

    private static async Task<string> ReadinessAsync(HttpClient http)
    {
        using var response = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
        var report = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return report.GetProperty("status").GetString()!;
    }
}
