using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using JasperFx.Events;
using Ledger.Contracts;
using Ledger.Development.Kafka;
using Ledger.Domain.Accounts;
using Ledger.Messaging;
using Ledger.Messaging.Relay;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

/// <summary>
/// The relay's publishing path on its own: map committed events to integration messages and publish them in pages
/// through the relay's producer (idempotent, acks=all) to the embedded Kafka, waiting for every acknowledgement.
/// </summary>
internal static class RelayBenchmark
{
    public static async Task RunAsync(int events)
    {
        using var kafka = EmbeddedKafka.Start();
        kafka.CreateTopic(KafkaTopics.AccountEvents, 6);
        var options = new KafkaOptions();
        using var publisher = new EventPublisher(new KafkaConnection(kafka.BootstrapServers, Embedded: true), Options.Create(options),
            NullLogger<EventPublisher>.Instance);
        var accounts = Enumerable.Range(0, 1_000).Select(_ => Guid.NewGuid()).ToArray();
        var at = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        Console.WriteLine($"# Relay publish throughput, {Environment.ProcessorCount} cores, embedded Kafka, pages of {options.RelayPageSize}");
        foreach (var pass in new[] { "warm-up", "measured" })
        {
            var stopwatch = Stopwatch.StartNew();
            for (var start = 0; start < events; start += options.RelayPageSize)
            {
                var page = new List<Message<string, byte[]>>(options.RelayPageSize);
                for (var i = start; i < Math.Min(events, start + options.RelayPageSize); i++)
                {
                    var account = accounts[i % accounts.Length];
                    page.Add(IntegrationEventMapper.Map(new Event<MoneyDeposited>(new MoneyDeposited(account, 1_00, "EUR", null, at))
                    {
                        Id = Guid.NewGuid(), StreamId = account, Version = i / accounts.Length + 2, Sequence = i + 1,
                    }));
                }

                await publisher.PublishAsync(page, CancellationToken.None);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{pass}: {events} events in {stopwatch.Elapsed.TotalSeconds:F2} s = {events / stopwatch.Elapsed.TotalSeconds:F0} events/s"));
        }
    }
}
