using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using JasperFx;
using JasperFx.Events.Daemon;
using Ledger.EventStore.Leadership;
using Ledger.Messaging.Relay;
using Npgsql;

namespace Ledger.Api.Hosting;

/// <summary>
/// The roles this node plays among the nodes on one database (ADR-021): <c>relay</c> (Marten's async daemon in HotCold
/// mode runs the relay subscription on one node), <c>reports</c> (<see cref="AsyncProjectionsService"/>) and
/// <c>hold-expiry</c> (<see cref="HoldExpiryService"/>). Shown by
/// <c>GET /api/v1/system</c> and exported as the gauge <c>ledger.leadership.leader</c> (1 on the node that plays the role).
/// </summary>
public sealed class NodeLeadership : IDisposable
{
    public const string MeterName = "Ledger.Leadership";
    public const string Relay = "relay";

    private readonly NpgsqlDataSource _dataSource;
    private readonly IServiceProvider _services;
    private readonly ConcurrentDictionary<string, bool> _held = new(StringComparer.Ordinal);
    private readonly Meter _meter = new(MeterName);

    public NodeLeadership(NpgsqlDataSource dataSource, IServiceProvider services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        _dataSource = dataSource;
        _services = services;
        NodeName = configuration["Ledger:NodeName"] is { Length: > 0 } name ? name : $"{Environment.MachineName}-{Environment.ProcessId}";
        _meter.CreateObservableGauge("ledger.leadership.leader", Observe, "{node}",
            "1 when this node plays the role (relay: publishes to Kafka; reports: runs the async projections), else 0.");
    }

    /// <summary><c>Ledger:NodeName</c>, or the machine's name and the process id.</summary>
    public string NodeName { get; }

    public LeaderLease LeaseFor(LeaderRole role) => new(_dataSource, role);

    public void Took(LeaderRole role) => _held[role.Name] = true;

    public void Left(LeaderRole role) => _held[role.Name] = false;

    /// <summary>The roles this node plays now, by name, sorted.</summary>
    public IReadOnlyList<string> Roles()
    {
        var roles = _held.Where(role => role.Value).Select(role => role.Key).ToList();
        if (RunsRelay())
        {
            roles.Add(Relay);
        }

        roles.Sort(StringComparer.Ordinal);
        return roles;
    }

    private bool RunsRelay()
    {
        if (_services.GetService<IProjectionCoordinator>() is not { } coordinator)
        {
            return false;
        }

        try
        {
            return coordinator.DaemonForMainDatabase().CurrentAgents()
                .Any(agent => agent.Name.Identity == RelaySubscription.ShardName && agent.Status == AgentStatus.Running);
        }
        // Before the daemon started, or while the host stops.
        catch (Exception failure) when (failure is InvalidOperationException or ObjectDisposedException)
        {
            return false;
        }
    }

    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<int>> Observe()
    {
        var roles = Roles();
        var all = new[] { Relay, LeaderRole.Reports.Name, LeaderRole.HoldExpiry.Name };
        return all.Select(role => new Measurement<int>(roles.Contains(role) ? 1 : 0, new KeyValuePair<string, object?>("role", role)));
    }
}
