using Confluent.Kafka;
using Ledger.Contracts;
using Ledger.Testing;
using Xunit.Abstractions;
using static Ledger.Messaging.Tests.Consumers.Fraud.FraudMessages;

namespace Ledger.Messaging.Tests.Consumers.Fraud;

/// <summary>
/// Stopping and starting the fraud consumer. After a member leaves, librdkafka's mock coordinator accepts a new
/// generation only after the session timeout less about 1 s; <see cref="FraudScenario"/> sets it to 2 s, and the
/// patience here leaves room for that.
/// </summary>
public sealed class FraudConsumerRestartTests(ITestOutputHelper output)
{
    private static readonly TimeSpan RejoinPatience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Restart_ResumesAfterTheStoredOffsetWithoutLossOrSecondAlert()
    {
        await using var scenario = await FraudScenario.StartAsync(output);
        var account = Guid.NewGuid();
        var first = await scenario.ProduceAsync(Withdrawal(account, 1, "10000.00", T0));
        await scenario.WaitForPublishedAlertsAsync(1);

        await scenario.StopConsumerAsync();
        using (var probe = new ConsumerBuilder<string, byte[]>(new ConsumerConfig { BootstrapServers = scenario.Kafka.BootstrapServers, GroupId = "ledger-fraud" }).Build())
        {
            // Committed on close: the offset after the handled message, so nothing before it is read again.
            probe.Committed([first.TopicPartition], KafkaTestMessages.Patience).Single().Offset.Value.Should().Be(first.Offset.Value + 1);
        }

        await scenario.ProduceAsync(Withdrawal(account, 2, "10000.00", T0.AddMinutes(1)));
        await scenario.StartConsumerAsync();

        (await scenario.WaitForPublishedAlertsAsync(2, RejoinPatience)).Should().OnlyHaveUniqueItems(alert => alert.AlertId);
        scenario.AlertMessageCount().Should().Be(2);
        KafkaTestMessages.ReadTopic(scenario.Kafka, KafkaTopics.FraudAlerts, 2).Should().HaveCount(2);
    }
}
