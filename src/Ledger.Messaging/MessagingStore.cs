using Ledger.Messaging.Relay;
using Marten;

namespace Ledger.Messaging;

/// <summary>The relay's additions to the Marten store (its dead-letter table), for hosts that run the relay.</summary>
public static class MessagingStore
{
    public static void Configure(StoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Storage.ExtendedSchemaObjects.Add(RelayDeadLetters.Build());
    }
}
