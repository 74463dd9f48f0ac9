using System.CommandLine;
using Ledger.Cli.Database;
using Ledger.Cli.Kafka;
using Ledger.Cli.Output;
using Ledger.Messaging;
using Ledger.Messaging.Consumers;
using Ledger.Messaging.Relay;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Ledger.Cli.Relay;

/// <summary>
/// <c>ledger relay republish</c>: the operator's repair for consumers that lost messages (ADR-010). It publishes a range of
/// committed events again through the relay's own mapping and producer, so consumers see the same <c>ce_id</c>s and
/// ignore what they already have, and marks the consumer gaps the range covers as repaired.
/// </summary>
internal static class RelayCommands
{
    /// <summary>How long Kafka may take to acknowledge by default; the relay's producer otherwise retries for ever.</summary>
    private const int TimeoutSecondsDefault = 120;

    private const int TimeoutSecondsMax = 3600;

    public static Command Create()
    {
        var database = new DatabaseOptions();
        var relay = new Command("relay", "Operate the Kafka relay.")
        {
            CreateRepublish(database),
        };
        database.AddTo(relay);
        return relay;
    }

    private static Command CreateRepublish(DatabaseOptions database)
    {
        var from = new Option<long>("--from-sequence") { Description = "First global sequence to publish again (1 or more).", Required = true };
        var to = new Option<long?>("--to-sequence") { Description = "Last global sequence to publish again (default: the last event)." };
        var bootstrap = new KafkaServersOption();
        var timeout = new Option<int>("--timeout")
        {
            Description = $"Seconds Kafka may take to acknowledge everything (1 to {TimeoutSecondsMax}).",
            DefaultValueFactory = _ => TimeoutSecondsDefault,
        };
        var json = new Option<bool>("--json") { Description = "Machine-readable output on stdout (JSON, camelCase)." };
        var republish = new Command("republish",
            "Publish committed events again, as the relay did (same ce_id, key and headers); consumers deduplicate. " +
            "Marks the consumer gaps the range covers as repaired.")
        {
            from, to, bootstrap.Option, timeout, json,
        };
        from.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<long>() < 1)
            {
                result.AddError("--from-sequence must be 1 or more.");
            }
        });
        timeout.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > TimeoutSecondsMax)
            {
                result.AddError($"--timeout must be between 1 and {TimeoutSecondsMax}.");
            }
        });
        republish.Validators.Add(result =>
        {
            if (result.GetValue(to) is { } last && last < result.GetValue(from))
            {
                result.AddError($"--to-sequence ({last}) must not be below --from-sequence ({result.GetValue(from)}).");
            }
        });
        republish.Validators.Add(database.Validate);
        republish.SetAction(async (parseResult, cancellation) =>
        {
            var output = CliOutput.For(parseResult, parseResult.GetValue(json));
            if (bootstrap.Resolve(parseResult, database) is not { } servers)
            {
                await output.ErrorAsync(KafkaServersOption.Missing);
                return ExitCodes.Usage;
            }

            var request = new RepublishRequest(parseResult.GetValue(from), parseResult.GetValue(to), servers,
                TimeSpan.FromSeconds(parseResult.GetValue(timeout)));
            return await DatabaseRun.RunAsync(parseResult, database, output, ledger => RepublishAsync(ledger, request, output, cancellation),
                cancellation);
        });
        return republish;
    }

    private static async Task<int> RepublishAsync(LedgerDatabase ledger, RepublishRequest request, CliOutput output, CancellationToken cancellation)
    {
        using var loggers = CliLogging.Create(LogLevel.Warning);
        var options = Options.Create(new KafkaOptions { BootstrapServers = request.BootstrapServers });
        using var publisher = new EventPublisher(new KafkaConnection(request.BootstrapServers, Embedded: false), options,
            loggers.CreateLogger<EventPublisher>());
        var republisher = new RelayRepublisher(ledger.Store, publisher, new ConsumerGapStore(ledger.DataSource), options, TimeProvider.System);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(request.Timeout);
        RepublishResult result;
        try
        {
            result = await republisher.RepublishAsync(request.FromSequence, request.ToSequence, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            await output.ErrorAsync($"error: Kafka at {request.BootstrapServers} did not acknowledge within {request.Timeout.TotalSeconds:0} s; " +
                                    "what was acknowledged stays, run the command again to finish.");
            return ExitCodes.Failure;
        }

        if (output.IsJson)
        {
            await output.WriteJsonAsync(result);
        }
        else
        {
            await output.WriteLineAsync($"republished {CliOutput.Count(result.Published)} events (sequences {CliOutput.Count(result.FromSequence)}" +
                                        $"..{CliOutput.Count(result.ToSequence)}), skipped {CliOutput.Count(result.Skipped)} dead letters, " +
                                        $"repaired {result.GapsRepaired.Count} consumer gaps");
        }

        return ExitCodes.Success;
    }

    private sealed record RepublishRequest(long FromSequence, long? ToSequence, string BootstrapServers, TimeSpan Timeout);
}
