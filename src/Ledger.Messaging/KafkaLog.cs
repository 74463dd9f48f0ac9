using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Ledger.Messaging;

/// <summary>
/// librdkafka's own log lines, into the host's logging at Debug: without a handler it writes them to stderr, one per
/// failed connection attempt while a broker is down. What matters is reported through the error handlers.
/// </summary>
public static partial class KafkaLog
{
    public static void Write(ILogger logger, LogMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        LogLibrdkafka(logger, message.Name, message.Facility, message.Message);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "librdkafka {Client} {Facility}: {Message}")]
    private static partial void LogLibrdkafka(ILogger logger, string client, string facility, string message);
}
