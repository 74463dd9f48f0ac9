using Ledger.Messaging.Consumers;
using Ledger.Messaging.Relay;
using Marten;

namespace Ledger.Messaging;

/// <summary>
/// The Kafka plumbing's tables in the Marten store: the relay's dead letters and the consumers' gaps. Every host that
/// configures the ledger's store adds them, so that one migration (and one schema script) covers them.
/// </summary>
public static class MessagingStore
{
    public static void Configure(StoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Storage.ExtendedSchemaObjects.Add(RelayDeadLetters.Build());
        ConsumerTables.AddTo(options, [ConsumerGapStore.BuildTable()]);
    }
}
