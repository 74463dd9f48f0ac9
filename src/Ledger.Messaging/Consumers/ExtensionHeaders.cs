using System.Diagnostics.CodeAnalysis;
using Confluent.Kafka;
using Ledger.Contracts;

namespace Ledger.Messaging.Consumers;

/// <summary>Reads the ledger's CloudEvents extension headers from messages of any age.</summary>
public static class ExtensionHeaders
{
    /// <summary>
    /// The last value of the header <paramref name="name"/> or, when the message has none, of the name it had before
    /// (<see cref="CloudEventHeaders.FormerNames"/>): messages relayed before the rename carry only that one, and they stay
    /// on the topics and in the dead letters.
    /// </summary>
    public static bool TryGetLastBytesOrFormer(this Headers headers, string name, [NotNullWhen(true)] out byte[]? value)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (headers.TryGetLastBytes(name, out value))
        {
            return true;
        }

        value = null;
        return CloudEventHeaders.FormerNames.TryGetValue(name, out var former) && headers.TryGetLastBytes(former, out value);
    }
}
