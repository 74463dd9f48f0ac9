using System.CommandLine;
using System.Text.Json;
using Ledger.Contracts;
using Ledger.Development.Kafka;
using Microsoft.Extensions.Logging;

namespace Ledger.Cli.Kafka;

/// <summary><c>ledger kafka ...</c>: Kafka for development machines, which have no broker of their own.</summary>
internal static class KafkaCommands
{
    /// <summary>Topics are replicated to at most this many brokers, as on a production cluster.</summary>
    private const int ReplicationFactorMax = 3;

    private const int PartitionsDefault = 6;

    /// <summary>Far more than any local test needs; a bound keeps a typo from creating 10,000 partitions.</summary>
    private const int PartitionsMax = 256;

    public static Command Create() => new("kafka", "Kafka for development and tests.")
    {
        CreateServe(),
    };

    private static Command CreateServe()
    {
        var brokers = new Option<int>("--brokers")
        {
            Description = $"Number of brokers in the cluster (1 to {EmbeddedKafka.BrokersMax}).",
            DefaultValueFactory = _ => 1,
        };
        brokers.Validators.Add(result => RequireWithin(result, 1, EmbeddedKafka.BrokersMax));
        var partitions = new Option<int>("--partitions")
        {
            Description = $"Partitions of each ledger topic (1 to {PartitionsMax}).",
            DefaultValueFactory = _ => PartitionsDefault,
        };
        partitions.Validators.Add(result => RequireWithin(result, 1, PartitionsMax));
        var noTopics = new Option<bool>("--no-topics")
        {
            Description = $"Do not create the ledger topics ({string.Join(", ", KafkaTopics.All)}).",
        };

        var json = new Option<bool>("--json")
        {
            Description = "Print the first line as JSON: { \"bootstrapServers\": ..., \"topics\": [...] }.",
        };

        var serve = new Command("serve",
            "Start an embedded Kafka (librdkafka's mock cluster) on 127.0.0.1 and serve until Ctrl+C or SIGTERM. "
            + "The first line on stdout is 'bootstrap: <servers>' (with --json, one JSON object); logs go to stderr.")
        {
            brokers,
            partitions,
            noTopics,
            json,
        };
        serve.SetAction((parseResult, cancellationToken) => ServeAsync(
            parseResult.GetValue(brokers),
            parseResult.GetValue(partitions),
            createTopics: !parseResult.GetValue(noTopics),
            parseResult.GetValue(json),
            parseResult.InvocationConfiguration.Output,
            cancellationToken));
        return serve;
    }

    private static async Task<int> ServeAsync(int brokers, int partitions, bool createTopics, bool json, TextWriter output,
        CancellationToken cancellationToken)
    {
        using var loggerFactory = CliLogging.Create();
        var logger = loggerFactory.CreateLogger("Ledger.Cli.Kafka");
        using var kafka = EmbeddedKafka.Start(brokers, loggerFactory.CreateLogger<EmbeddedKafka>());
        if (createTopics)
        {
            foreach (var topic in KafkaTopics.All)
            {
                kafka.CreateTopic(topic, partitions, Math.Min(brokers, ReplicationFactorMax));
            }
        }

        // Printed only once the topics exist, because scripts and tests start producing as soon as they read it.
        await output.WriteLineAsync(json
            ? JsonSerializer.Serialize(new { bootstrapServers = kafka.BootstrapServers, topics = createTopics ? KafkaTopics.All : [] })
            : $"bootstrap: {kafka.BootstrapServers}");
        await output.FlushAsync(cancellationToken);
        logger.LogInformation("Serving; try: kcat -b {BootstrapServers} -L. Stop with Ctrl+C or SIGTERM.",
            kafka.BootstrapServers);

        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C or SIGTERM: the expected way to stop; the cluster is disposed on the way out.
        }

        logger.LogInformation("Stopping");
        return 0;
    }

    private static void RequireWithin(System.CommandLine.Parsing.OptionResult result, int minimum, int maximum)
    {
        var value = result.GetValueOrDefault<int>();
        if (value < minimum || value > maximum)
        {
            result.AddError($"{result.Option.Name} must be between {minimum} and {maximum}, not {value}.");
        }
    }
}
