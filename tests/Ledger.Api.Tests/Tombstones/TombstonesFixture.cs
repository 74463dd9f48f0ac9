using System.Net.Http.Json;
using System.Text.Json;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Api.Tests.Relay;
using Ledger.EventStore.Projections;
using Ledger.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Ledger.Api.Tests.Tombstones;

/// <summary>
/// The tombstone tests make Marten write tombstones on purpose, which would disturb other classes' counts, so they get an
/// API (with the relay on an embedded Kafka) and a database of their own, and run one after another.
/// </summary>
public sealed class TombstonesFixture : IDisposable
{
    private readonly RelayFixture _kafka = new();

    public TombstonesFixture()
    {
        Host = new RelayHost(_kafka.Kafka.BootstrapServers, PostgresServer.CreateDatabase(), relayEnabled: true);
        TimeLimited = Host.WithWebHostBuilder(builder => builder
            .UseSetting("Kafka:RelayEnabled", "false")
            .UseSetting("Projections:RunAsync", "false")
            .UseSetting("Commands:TimeLimit", "00:00:01"));
    }

    public RelayHost Host { get; }

    /// <summary>A second API on the same database, without relay or report projections, whose commands give up after 1 s.</summary>
    public WebApplicationFactory<Program> TimeLimited { get; }

    public Teller TimeLimitedTeller => new(TimeLimited.CreateClient());

    /// <summary>Waits until the API has this many commands queued for its writers.</summary>
    public Task WaitForWaitingCommandsAsync(int count) => Host.Services.WaitForWaitingCommandsAsync(count);

    public Teller Teller => Host.Teller;

    public string ConnectionString => Host.ConnectionString;

    public NpgsqlDataSource DataSource => Host.Services.GetRequiredService<NpgsqlDataSource>();

    public void Dispose()
    {
        TimeLimited.Dispose();
        Host.Dispose();
        _kafka.Dispose();
    }

    public Task<long> TombstonesAsync() => Sql.ScalarAsync<long>(ConnectionString, "select count(*) from ledger.mt_events where type = 'tombstone'");

    public Task<long> HeadAsync() => Sql.ScalarAsync<long>(ConnectionString, "select coalesce(max(seq_id), 0) from ledger.mt_events");

    public async Task<JsonElement> GetAsync(string path)
    {
        using var http = Host.CreateClient();
        return await http.GetFromJsonAsync<JsonElement>(path);
    }

    /// <summary>Marten writes tombstones from a background queue after the failed append has returned: wait for them.</summary>
    public Task WaitForTombstonesAsync(long moreThan) =>
        Eventually.HoldsAsync(async () => await TombstonesAsync() > moreThan, $"more than {moreThan} tombstones in mt_events");

    /// <summary>
    /// Every reader of the event store passes the tombstones: the reports and the relay reach the committed head, the relay
    /// set nothing aside, the ledger's integrity holds, and every projection rebuilds and verifies identical.
    /// </summary>
    public async Task AssertEveryReaderPassesTheTombstonesAsync()
    {
        var head = await HeadAsync();
        await Eventually.HoldsAsync(async () => (await GetAsync("/api/v1/projections")).EnumerateArray()
                .All(p => p.GetProperty("lastProcessedSequence").GetInt64() >= head),
            $"every projection at or past the head {head}");
        await Eventually.HoldsAsync(async () => (await GetAsync("/api/v1/relay")).GetProperty("lastPublishedSequence").GetInt64() >= head,
            $"the relay at or past the head {head}");
        (await GetAsync("/api/v1/relay")).GetProperty("deadLetters").GetInt64().Should().Be(0);

        var integrity = await GetAsync("/api/v1/ledger/integrity");
        integrity.GetProperty("valid").GetBoolean().Should().BeTrue("the ledger's integrity was {0}", integrity);

        var rebuilder = Host.Services.GetRequiredService<ProjectionRebuilder>();
        foreach (var projection in ProjectionCatalog.Ledger.All)
        {
            await rebuilder.RunAsync(Guid.NewGuid(), projection, RebuildKind.Rebuild, "test", progress: null, CancellationToken.None);
            var verified = await rebuilder.RunAsync(Guid.NewGuid(), projection, RebuildKind.Verify, "test", progress: null, CancellationToken.None);
            verified.Differences.Should().Be(0L, "{0} rebuilt from the events must equal the live model", projection.Name);
        }
    }
}

/// <summary>
/// Holds <c>mt_events</c> in EXCLUSIVE mode, as the projection switch and the seed do: appends wait at their insert, readers
/// go on. Released (committed) on dispose.
/// </summary>
public sealed class HeldEventsTable : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;

    private HeldEventsTable(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        _connection = connection;
        _transaction = transaction;
    }

    public static async Task<HeldEventsTable> TakeAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand("lock table ledger.mt_events in exclusive mode", connection, transaction);
        await command.ExecuteNonQueryAsync();
        return new HeldEventsTable(connection, transaction);
    }

    /// <summary>Waits until at least <paramref name="count"/> sessions of this database wait for a lock.</summary>
    public Task WaitForWaitersAsync(int count) => LockWaiters.WaitForAsync(_connection.ConnectionString, count);

    public async ValueTask DisposeAsync()
    {
        await _transaction.CommitAsync();
        await _transaction.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
