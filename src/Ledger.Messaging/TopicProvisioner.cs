using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Ledger.Messaging;

/// <summary>
/// Creates the ledger's missing topics on a configured cluster, retrying until Kafka answers: the ledger must start and
/// take commands while Kafka is down (the relay catches up later), so this never blocks or fails start-up.
/// </summary>
public sealed partial class TopicProvisioner(KafkaConnection connection, IOptions<KafkaOptions> options, ILogger<TopicProvisioner> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (connection.Embedded)
        {
            return;
        }

        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // The admin client's calls block and ignore cancellation: run them aside so shutdown never waits for them.
                await Task.Run(() => KafkaBootstrap.EnsureTopicsAsync(connection.BootstrapServers, options.Value, logger), CancellationToken.None)
                    .WaitAsync(stoppingToken);
                return;
            }
            catch (Exception exception) when (exception is Confluent.Kafka.KafkaException or Confluent.Kafka.Admin.CreateTopicsException)
            {
                LogRetry(logger, exception, connection.BootstrapServers, delay.TotalSeconds);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, 30));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not create the ledger's topics on {BootstrapServers}; retrying in {DelaySeconds} s")]
    private static partial void LogRetry(ILogger logger, Exception exception, string bootstrapServers, double delaySeconds);
}
