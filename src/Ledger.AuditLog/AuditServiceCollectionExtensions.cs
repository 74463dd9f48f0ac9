using Ledger.Messaging;
using Ledger.Messaging.Consumers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Ledger.AuditLog;

public static class AuditServiceCollectionExtensions
{
    /// <summary>
    /// Runs the audit consumer (group <c>ledger-audit</c>) as a hosted service and registers <see cref="AuditLogStore"/>.
    /// The host registers <see cref="KafkaConnection"/>, <c>IOptions&lt;KafkaOptions&gt;</c> and the
    /// <c>NpgsqlDataSource</c> of the database that holds the <c>ledger_audit</c> schema.
    /// </summary>
    public static IServiceCollection AddAuditConsumer(this IServiceCollection services)
    {
        services.AddAuditLogReads();
        services.TryAddSingleton(TimeProvider.System);
        services.AddHostedService<AuditConsumer>();
        return services;
    }

    /// <summary>Only <see cref="AuditLogStore"/>, for hosts that serve the audit status without consuming.</summary>
    public static IServiceCollection AddAuditLogReads(this IServiceCollection services)
    {
        services.TryAddSingleton<AuditLogStore>();
        services.TryAddSingleton<ConsumerGapStore>();
        return services;
    }
}
