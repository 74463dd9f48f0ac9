using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Ledger.Contracts;

namespace Ledger.Messaging;

/// <summary>
/// W3C Trace Context through Kafka (ADR-022): a producer writes its span as the <c>traceparent</c> (and <c>tracestate</c>)
/// header of each message; a consumer starts its processing span as a child of that header. Span names and attributes
/// follow OpenTelemetry's messaging conventions (<c>send</c>/<c>process</c> and the topic).
/// </summary>
public static class MessageTracing
{
    public const string MessagingSystem = "kafka";

    /// <summary>The context a message carries, or default (no parent) when it carries none or a malformed one.</summary>
    public static ActivityContext ParentOf(Headers? headers)
    {
        if (headers is null || !headers.TryGetLastBytes(CloudEventHeaders.TraceParent, out var parent))
        {
            return default;
        }

        var state = headers.TryGetLastBytes(CloudEventHeaders.TraceState, out var stateBytes) ? Encoding.UTF8.GetString(stateBytes) : null;
        return ActivityContext.TryParse(Encoding.UTF8.GetString(parent), state, isRemote: true, out var context) ? context : default;
    }

    /// <summary>
    /// Starts the span of processing one consumed message, a child of the context it carries; null when nobody listens to
    /// <paramref name="source"/>. The caller stops it (dispose) when the message's effect is durable.
    /// </summary>
    public static Activity? StartProcess(ActivitySource source, ConsumeResult<string, byte[]> result, string consumerGroup)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(result);
        var span = source.StartActivity($"process {result.Topic}", ActivityKind.Consumer, ParentOf(result.Message.Headers));
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag("messaging.system", MessagingSystem);
            span.SetTag("messaging.operation.type", "process");
            span.SetTag("messaging.destination.name", result.Topic);
            span.SetTag("messaging.destination.partition.id", result.Partition.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            span.SetTag("messaging.consumer.group.name", consumerGroup);
            span.SetTag("messaging.kafka.offset", result.Offset.Value);
            span.SetTag("messaging.kafka.message.key", result.Message.Key);
            if (result.Message.Headers is { } headers && headers.TryGetLastBytes(CloudEventHeaders.Id, out var id))
            {
                span.SetTag("messaging.message.id", Encoding.UTF8.GetString(id));
            }
        }

        return span;
    }

    /// <summary>Writes <paramref name="context"/> as the message's W3C headers (replacing any it had); nothing for default.</summary>
    public static void Inject(Headers headers, ActivityContext context)
    {
        ArgumentNullException.ThrowIfNull(headers);
        headers.Remove(CloudEventHeaders.TraceParent);
        headers.Remove(CloudEventHeaders.TraceState);
        if (context == default)
        {
            return;
        }

        var flags = (context.TraceFlags & ActivityTraceFlags.Recorded) != 0 ? "01" : "00";
        headers.Add(CloudEventHeaders.TraceParent, Encoding.UTF8.GetBytes($"00-{context.TraceId.ToHexString()}-{context.SpanId.ToHexString()}-{flags}"));
        if (!string.IsNullOrEmpty(context.TraceState))
        {
            headers.Add(CloudEventHeaders.TraceState, Encoding.UTF8.GetBytes(context.TraceState));
        }
    }
}

/// <summary>
/// The producer spans of one batch of messages to one topic: one span per message, each a child of that message's own
/// parent (messages of one batch come from different requests), ended together once Kafka has acknowledged the batch, or
/// marked failed when it was not. The spans do not become the current span: starting one after another must not nest them.
/// Where nobody listens to the source there is no span, and the parent itself travels on, so the trace still joins up
/// wherever the consumer does trace.
/// </summary>
public sealed class SendSpans(ActivitySource source, string topic) : IDisposable
{
    private readonly List<Activity> _spans = [];
    private bool _acknowledged;

    /// <summary>Starts the message's span under <paramref name="parent"/> and writes its context into the message's headers.</summary>
    public Message<string, byte[]> Add(Message<string, byte[]> message, ActivityContext parent)
    {
        ArgumentNullException.ThrowIfNull(message);
        message.Headers ??= [];
        var previous = Activity.Current;
        var span = source.StartActivity($"send {topic}", ActivityKind.Producer, parent);
        Activity.Current = previous;
        if (span is null)
        {
            MessageTracing.Inject(message.Headers, parent);
            return message;
        }

        if (span.IsAllDataRequested)
        {
            span.SetTag("messaging.system", MessagingSystem);
            span.SetTag("messaging.operation.type", "send");
            span.SetTag("messaging.destination.name", topic);
            span.SetTag("messaging.kafka.message.key", message.Key);
            if (message.Headers.TryGetLastBytes(CloudEventHeaders.Id, out var id))
            {
                span.SetTag("messaging.message.id", Encoding.UTF8.GetString(id));
            }
        }

        MessageTracing.Inject(message.Headers, span.Context);
        _spans.Add(span);
        return message;
    }

    /// <summary>Kafka acknowledged every message of the batch.</summary>
    public void Acknowledged() => _acknowledged = true;

    public void Dispose()
    {
        var previous = Activity.Current;
        foreach (var span in _spans)
        {
            if (!_acknowledged)
            {
                span.SetStatus(ActivityStatusCode.Error, "Not acknowledged by Kafka.");
            }

            span.Stop();
        }

        _spans.Clear();
        Activity.Current = previous;
    }

    private const string MessagingSystem = MessageTracing.MessagingSystem;
}
