using Ledger.EventStore.Leadership;
using Ledger.Messaging.Consumers;
using Ledger.Messaging.DeadLetters;
using Ledger.Messaging.Relay;
using Marten;

namespace Ledger.Messaging;

/// <summary>
/// The Kafka plumbing's tables in the Marten store: the relay's dead letters, the consumers' gaps and the replays of the
/// consumers' dead letters (<c>ledger dlq replay</c>). Every host that configures the ledger's store adds them, so that
/// one migration (and one schema script) covers them.
/// </summary>
public static class MessagingStore
{
    public static readonly TimeSpan RelayPollingTime = TimeSpan.FromMilliseconds(100);

    public static void Configure(StoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Storage.ExtendedSchemaObjects.Add(RelayDeadLetters.Build());
        options.Storage.ExtendedSchemaObjects.Add(DeadLetterReplayStore.BuildTable());
        // The relay publishes what Marten's daemon has seen committed. Its high-water agent looks every 250 ms while events
        // arrive and every second when idle by default, so a commit after a quiet spell waited up to a second before the
        // relay read it; 100 ms either way keeps the commit-to-Kafka lag low for the cost of one cheap query per tick.
        options.Projections.FastPollingTime = RelayPollingTime;
        options.Projections.SlowPollingTime = RelayPollingTime;
        // HotCold leader election (ADR-019): a node that does not run the relay tries to take it every second, so another
        // node takes over about a second after the one that ran it lost its lock's connection (it died, or the database
        // dropped it); Marten's monitored lock stops the relay on a node that sees its lock lost.
        options.Projections.LeadershipPollingTime = (int)LeaderRole.PollingTime.TotalMilliseconds;
        ConsumerTables.AddTo(options, [ConsumerGapStore.BuildTable()]);
    }
}
