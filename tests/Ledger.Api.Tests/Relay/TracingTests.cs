using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Confluent.Kafka;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Contracts;
using Ledger.Messaging.Consumers;
using Ledger.Testing;

namespace Ledger.Api.Tests.Relay;

/// <summary>
/// One trace from a teller's request to what it caused (ADR-022): the request's span is stored with its events, the relay's
/// message carries it on (W3C <c>traceparent</c>), each consumer's processing span is its child, and a fraud alert the
/// events raised carries it on again. The client starts the trace, as a teller's front end propagating its own would.
/// </summary>
[Collection(ApiFixtureGroup.Name)]
public sealed class TracingTests(LedgerApiFactory factory) : IDisposable
{
    private readonly Teller _teller = new(factory.CreateClient());

    private readonly HttpClient _admin = factory.CreateClient();

    private readonly ConsumerSpans _consumerSpans = new();

    [Fact]
    public async Task Deposit_ItsTraceGoesOnTheRelayedMessageAndIntoEachConsumer()
    {
        var account = await _teller.OpenAccountAsync();
        var (traceId, traceParent) = NewTrace();

        using (var deposit = await _teller.DepositRawAsync(account, Teller.Json(new { amount = "12.00" }), ("traceparent", traceParent)))
        {
            await Teller.Expect(deposit, HttpStatusCode.OK);
        }

        var message = LedgerKafka.Read(await BootstrapServersAsync(), KafkaTopics.AccountEvents, result => result,
                read => read.Any(result => IsOf(result, account, CloudEventTypes.MoneyDeposited)))
            .Single(result => IsOf(result, account, CloudEventTypes.MoneyDeposited));
        var carried = ActivityContext.Parse(LedgerKafka.Header(message.Message.Headers, CloudEventHeaders.TraceParent), null);
        carried.TraceId.Should().Be(traceId, "the relayed message continues the request's trace");

        var spans = await Eventually.FoundAsync(() => Task.FromResult(_consumerSpans.Of(traceId) is { Count: >= 2 } found ? found : null),
            "both consumer groups processed the deposit in its trace");
        spans.Select(span => span.GetTagItem("messaging.consumer.group.name")).Should().Contain(["ledger-audit", "ledger-fraud"]);
        spans.Should().OnlyContain(span => span.Kind == ActivityKind.Consumer && span.ParentSpanId == carried.SpanId,
            "each consumer's span is a child of the relay's producer span that the message names");
    }

    [Fact]
    public async Task LargeWithdrawal_TheFraudAlertItRaisedIsInTheRequestsTrace()
    {
        var account = await _teller.OpenAccountAsync();
        await _teller.DepositAsync(account, "20000.00");
        var (traceId, traceParent) = NewTrace();

        using (var withdrawal = await _teller.WithdrawRawAsync(account, Teller.Json(new { amount = "15000.00" }), ("traceparent", traceParent)))
        {
            await Teller.Expect(withdrawal, HttpStatusCode.OK);
        }

        var alert = LedgerKafka.Read(await BootstrapServersAsync(), KafkaTopics.FraudAlerts, result => result,
                read => read.Any(result => IsOf(result, account, CloudEventTypes.FraudAlertRaised)))
            .Single(result => IsOf(result, account, CloudEventTypes.FraudAlertRaised));

        ActivityContext.Parse(LedgerKafka.Header(alert.Message.Headers, CloudEventHeaders.TraceParent), null).TraceId.Should().Be(traceId);
    }

    public void Dispose() => _consumerSpans.Dispose();

    private static (ActivityTraceId TraceId, string TraceParent) NewTrace()
    {
        var traceId = ActivityTraceId.CreateRandom();
        return (traceId, $"00-{traceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
    }

    private static bool IsOf(ConsumeResult<string, byte[]> result, Guid account, string type) =>
        result.Message.Key == account.ToString() && LedgerKafka.Header(result.Message.Headers, CloudEventHeaders.Type) == type;

    private async Task<string> BootstrapServersAsync()
    {
        var system = await _admin.GetFromJsonAsync<JsonElement>("/api/v1/system");
        return system.GetProperty("kafka").GetProperty("bootstrapServers").GetString()!;
    }

    /// <summary>Every consumer span that ends in this process while the test runs, as an exporter would receive it.</summary>
    private sealed class ConsumerSpans : IDisposable
    {
        private readonly ConcurrentQueue<Activity> _ended = new();
        private readonly ActivityListener _listener;

        public ConsumerSpans()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == ConsumerLoop.ActivitySourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = _ended.Enqueue,
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public List<Activity> Of(ActivityTraceId traceId) => [.. _ended.Where(span => span.TraceId == traceId)];

        public void Dispose() => _listener.Dispose();
    }
}
