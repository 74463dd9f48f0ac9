using Ledger.EventStore;
using Marten;

namespace Ledger.Api.Hosting;

/// <summary>
/// Outside Development the API does not change its database's schema: before any hosted service starts (the relay, the
/// projections, the consumers), this checks that the schema matches the store's configuration and stops the start with
/// a message naming <c>ledger db migrate</c> when it does not (ADR-015).
/// </summary>
public sealed class SchemaCheck(IDocumentStore store) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => LedgerSchema.EnsureCurrentAsync(store, cancellationToken);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

public static class SchemaOnStart
{
    /// <summary>
    /// Development (or <c>Ledger:ApplySchemaOnStart</c>): Marten applies pending schema changes as the host starts.
    /// Otherwise <see cref="SchemaCheck"/> refuses to start on a schema that is not current (ADR-015).
    /// </summary>
    public static MartenServiceCollectionExtensions.MartenConfigurationExpression ApplySchemaOrCheckIt(
        this MartenServiceCollectionExtensions.MartenConfigurationExpression marten, IServiceCollection services, bool applySchemaOnStart)
    {
        ArgumentNullException.ThrowIfNull(marten);
        if (applySchemaOnStart)
        {
            return marten.ApplyAllDatabaseChangesOnStartup();
        }

        services.AddHostedService<SchemaCheck>();
        return marten;
    }
}
