using Confluent.Kafka;
using Ledger.Messaging;
using Ledger.Messaging.Consumers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Ledger.AuditLog;

/// <summary>
/// Consumer group <c>ledger-audit</c>: appends every account event to the audit log (<see cref="AuditLogStore"/>).
/// The row is keyed by <c>ce_id</c> and written in the same transaction as the group's offset bookkeeping, so a message
/// delivered twice, whether produced twice or replayed after a restart, leaves exactly one row. Messages that cannot be
/// read go to the dead-letter topic through <see cref="ConsumerLoop"/>.
/// </summary>
public sealed class AuditConsumer(
    KafkaConnection connection,
    IOptions<KafkaOptions> options,
    AuditLogStore store,
    ConsumerGapStore gaps,
    TimeProvider clock,
    ILogger<AuditConsumer> logger) : ConsumerLoop(connection, options, gaps, clock, logger)
{
    public const string Group = "ledger-audit";

    protected override string GroupId => Group;

    protected override async Task HandleAsync(ConsumeResult<string, byte[]> result, CancellationToken cancellationToken)
    {
        var message = AccountEventReader.Read(result);
        await store.RecordAsync(message, GroupId, result.TopicPartitionOffset, Clock.GetUtcNow(), cancellationToken);
    }
}
