using Confluent.Kafka;
using Ledger.Contracts;
using Ledger.Messaging.Consumers;
using static Ledger.Testing.KafkaTestMessages;

namespace Ledger.Messaging.Tests.Consumers;

/// <summary>
/// How a consumer reads the ledger's extension headers: under their CloudEvents names, and under the names they had
/// before for messages relayed earlier (on the topics, in dead letters).
/// </summary>
public sealed class AccountEventReaderTests
{
    private static readonly Guid Ada = new("7d0c8a52-3b1e-4c55-9a51-0a1e2f3b4c01");

    [Fact]
    public void CloudEventsNames_AreRead()
    {
        var read = Read(AccountEvent(CloudEventTypes.MoneyDeposited, Deposit(), streamVersion: 4, sequence: 77, correlationId: "req-1"));

        (read.StreamVersion, read.Sequence, read.CorrelationId).Should().Be((4L, 77L, "req-1"));
    }

    [Fact]
    public void FormerNamesOnly_AreRead()
    {
        var message = AccountEvent(CloudEventTypes.MoneyDeposited, Deposit(), streamVersion: 4, sequence: 77, correlationId: "req-1").WithFormerHeaderNames();
        message.Headers.Select(header => header.Key).Should().Contain(["ledger-stream-version", "ledger-sequence", "correlation-id"])
            .And.NotContain([CloudEventHeaders.StreamVersion, CloudEventHeaders.Sequence, CloudEventHeaders.CorrelationId]);

        var read = Read(message);

        (read.StreamVersion, read.Sequence, read.CorrelationId).Should().Be((4L, 77L, "req-1"));
    }

    /// <summary>The relay writes both names while consumers move over; should they ever differ, the CloudEvents name counts.</summary>
    [Fact]
    public void BothNames_TheCloudEventsNameWins()
    {
        var message = AccountEvent(CloudEventTypes.MoneyDeposited, Deposit(), streamVersion: 4, sequence: 77, correlationId: "req-1");
        message.Headers.Add("ledger-stream-version", "9"u8.ToArray());
        message.Headers.Add("ledger-sequence", "99"u8.ToArray());
        message.Headers.Add("correlation-id", "req-9"u8.ToArray());

        var read = Read(message);

        (read.StreamVersion, read.Sequence, read.CorrelationId).Should().Be((4L, 77L, "req-1"));
    }

    [Fact]
    public void NeitherName_IsAPoisonMessage()
    {
        var message = AccountEvent(CloudEventTypes.MoneyDeposited, Deposit(), streamVersion: 4).WithoutHeader(CloudEventHeaders.StreamVersion);

        var read = () => Read(message);

        read.Should().Throw<PoisonMessageException>().WithMessage("Header ce_ledgerstreamversion is missing.");
    }

    [Fact]
    public void NoCorrelationUnderEitherName_IsNull()
    {
        Read(AccountEvent(CloudEventTypes.MoneyDeposited, Deposit(), streamVersion: 4).WithFormerHeaderNames()).CorrelationId.Should().BeNull();
    }

    private static Contracts.V1.MoneyDepositedV1 Deposit() => new(Ada, "10.00", Currency, null, OccurredAt);

    private static AccountEventMessage Read(Message<string, byte[]> message) =>
        AccountEventReader.Read(new ConsumeResult<string, byte[]> { Message = message, Topic = KafkaTopics.AccountEvents });
}
