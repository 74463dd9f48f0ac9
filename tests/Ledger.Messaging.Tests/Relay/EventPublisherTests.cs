using Confluent.Kafka;
using Ledger.Contracts;
using Ledger.Development.Kafka;
using Ledger.Messaging.Relay;
using Ledger.Messaging.Tests.Consumers.Fraud;
using Ledger.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace Ledger.Messaging.Tests.Relay;

/// <summary>The relay's producer, on its own: what it does when Kafka gives up on it.</summary>
public sealed class EventPublisherTests(ITestOutputHelper output)
{
    [Fact]
    public async Task AfterAFatalProducerError_ThePublisherReplacesItsProducerAndEveryMessageArrives()
    {
        using var kafka = LedgerKafka.Start();
        using var loggers = new LoggerFactory([new OutputLoggerProvider(output)]);
        using var publisher = new EventPublisher(new KafkaConnection(kafka.BootstrapServers, Embedded: true),
            Options.Create(new KafkaOptions()), loggers.CreateLogger<EventPublisher>());
        var key = Guid.NewGuid().ToString();
        await publisher.PublishAsync([Message(key, "before")], CancellationToken.None);

        // What librdkafka does when, say, the broker lost the idempotent producer's state: that producer is finished.
        EmbeddedKafka.RaiseFatalError(publisher.Handle, ErrorCode.OutOfOrderSequenceNumber, "injected by the test");
        using (var patience = new CancellationTokenSource(Eventually.Patience))
        {
            await publisher.PublishAsync([Message(key, "after-1"), Message(key, "after-2")], patience.Token);
        }

        publisher.ProducersReplaced.Should().Be(1);
        var read = LedgerKafka.Read(kafka.BootstrapServers, KafkaTopics.AccountEvents,
            result => System.Text.Encoding.UTF8.GetString(result.Message.Value), values => values.Count >= 3);
        read.Should().Equal("before", "after-1", "after-2");
    }

    private static Message<string, byte[]> Message(string key, string value) =>
        new() { Key = key, Value = System.Text.Encoding.UTF8.GetBytes(value) };
}
