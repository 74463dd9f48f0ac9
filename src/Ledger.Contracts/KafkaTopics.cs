namespace Ledger.Contracts;

/// <summary>Topic names, part of the public contract.</summary>
public static class KafkaTopics
{
    /// <summary>One message per event per account stream, keyed by account id.</summary>
    public const string AccountEvents = "ledger.account-events";

    /// <summary>Messages from <see cref="AccountEvents"/> that a consumer could not process, with headers saying why.</summary>
    public const string AccountEventsDeadLetters = "ledger.account-events.dlq";

    /// <summary>Alerts raised by the fraud consumer, keyed by account id.</summary>
    public const string FraudAlerts = "ledger.fraud-alerts";

    public static IReadOnlyList<string> All { get; } = [AccountEvents, AccountEventsDeadLetters, FraudAlerts];
}
