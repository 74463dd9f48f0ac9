using JasperFx.Events.Daemon;
using Ledger.Development.Kafka;
using Ledger.EventStore;
using Ledger.EventStore.Projections;
using Ledger.Messaging.Relay;
using Ledger.Messaging.Tests.Consumers.Fraud;
using Ledger.Testing;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace Ledger.Messaging.Tests.Relay;

/// <summary>
/// The relay as the API hosts it, without the API: the ledger's store on a fresh database, <see cref="RelaySubscription"/>
/// run by Marten's async daemon (one node, so <c>Solo</c>), publishing to a fresh embedded Kafka. Events are appended
/// through the store by <see cref="LedgerWriter"/>, decided by the domain as the API decides them.
/// </summary>
internal sealed class RelayScenario : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly List<IHostedService> _started = [];

    private RelayScenario(ITestOutputHelper output)
    {
        Kafka = LedgerKafka.Start(partitions: 3);
        ConnectionString = PostgresServer.CreateDatabase();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddProvider(new OutputLoggerProvider(output)).SetMinimumLevel(LogLevel.Information));
        services.AddSingleton(new KafkaConnection(Kafka.BootstrapServers, Embedded: true));
        services.AddSingleton(Options.Create(new KafkaOptions()));
        services.AddSingleton<RelayMetrics>();
        services.AddSingleton<EventPublisher>();
        services.AddMarten(_ =>
            {
                var options = new StoreOptions();
                LedgerStore.Configure(options, ConnectionString, ProjectionCatalog.Ledger);
                MessagingStore.Configure(options);
                return options;
            })
            .UseLightweightSessions()
            .AddSubscriptionWithServices<RelaySubscription>(ServiceLifetime.Singleton)
            .AddAsyncDaemon(DaemonMode.Solo);
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        Store = _services.GetRequiredService<IDocumentStore>();
        Writer = new LedgerWriter(Store);
    }

    public EmbeddedKafka Kafka { get; }

    public string ConnectionString { get; }

    public IDocumentStore Store { get; }

    public LedgerWriter Writer { get; }

    /// <summary>Applies the schema (every test brings a fresh database, ADR-015), then starts the daemon and with it the relay.</summary>
    public static async Task<RelayScenario> StartAsync(ITestOutputHelper output)
    {
        var scenario = new RelayScenario(output);
        await LedgerSchema.ApplyAsync(scenario.Store, CancellationToken.None);
        foreach (var hosted in scenario._services.GetServices<IHostedService>())
        {
            await hosted.StartAsync(CancellationToken.None);
            scenario._started.Add(hosted);
        }

        return scenario;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var hosted in Enumerable.Reverse(_started))
        {
            await hosted.StopAsync(CancellationToken.None);
        }

        await _services.DisposeAsync();
        Kafka.Dispose();
    }
}
