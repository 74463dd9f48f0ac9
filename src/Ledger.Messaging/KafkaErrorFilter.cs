using Confluent.Kafka;

namespace Ledger.Messaging;

/// <summary>
/// librdkafka reports every failed connection attempt, several a second while Kafka is down. This lets through fatal
/// errors and the first error of each kind in a row, so an outage is logged once, not thousands of times.
/// </summary>
public sealed class KafkaErrorFilter
{
    private int _lastCode = int.MinValue;

    public bool ShouldLog(Error error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.IsFatal || Interlocked.Exchange(ref _lastCode, (int)error.Code) != (int)error.Code;
    }
}
