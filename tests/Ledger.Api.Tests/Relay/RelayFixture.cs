using System.Text;
using Confluent.Kafka;
using Ledger.Contracts;
using Ledger.Development.Kafka;
using Ledger.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;

namespace Ledger.Api.Tests.Relay;

/// <summary>
/// A Kafka that outlives API hosts: each test starts and stops hosts (the relay's process) against one embedded broker
/// and one database, as a crash and restart would.
/// </summary>
public sealed class RelayFixture : IDisposable
{
    public RelayFixture()
    {
        Kafka = LedgerKafka.Start(partitions: 6);
    }

    public EmbeddedKafka Kafka { get; }

    public void Dispose() => Kafka.Dispose();
}

/// <summary>
/// An API host on the fixture's Kafka and a given database; the relay on or off. Nothing embedded is allowed (environment
/// Testing), as in production; the schema is applied at start because every test brings a fresh database (ADR-015).
/// </summary>
public sealed class RelayHost(string bootstrapServers, string connectionString, bool relayEnabled, bool consumersEnabled = false)
    : WebApplicationFactory<Program>
{
    public string ConnectionString { get; } = connectionString;

    public Teller Teller => new(CreateClient());

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.UseSetting("ConnectionStrings:Ledger", ConnectionString);
        builder.UseSetting("Kafka:BootstrapServers", bootstrapServers);
        builder.UseSetting("Kafka:RelayEnabled", relayEnabled ? "true" : "false");
        builder.UseSetting("Kafka:ConsumersEnabled", consumersEnabled ? "true" : "false");
        builder.UseSetting("Kafka:ConsumerSessionTimeoutMs", "3000");
        builder.UseSetting("Ledger:ApplySchemaOnStart", "true");
        builder.UseEnvironment("Testing");
        TestTokens.TrustIn(builder);
        TestLimits.RaiseIn(builder);
    }

    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        client.As(Roles.Admin);
    }
}

/// <summary>What a test reads back from the topic.</summary>
public sealed record PublishedEvent(string Key, Guid EventId, string Type, long StreamVersion, long Sequence, string Json, Headers Headers);

public static class Topic
{
    /// <summary>Reads the whole topic from the beginning until <paramref name="done"/> holds for what was read, or fails after a time limit.</summary>
    public static IReadOnlyList<PublishedEvent> ReadUntil(string bootstrapServers, Func<IReadOnlyList<PublishedEvent>, bool> done, TimeSpan? limit = null)
    {
        var read = LedgerKafka.Read(bootstrapServers, KafkaTopics.AccountEvents, Published, done, limit);
        return done(read) ? read : throw new TimeoutException($"The topic did not reach the expected state; {read.Count} messages read.");
    }

    public static string Header(Headers headers, string name) => LedgerKafka.Header(headers, name);

    private static PublishedEvent Published(ConsumeResult<string, byte[]> result)
    {
        var (message, headers) = (result.Message, result.Message.Headers);
        return new PublishedEvent(message.Key, Guid.Parse(Header(headers, CloudEventHeaders.Id)), Header(headers, CloudEventHeaders.Type),
            long.Parse(Header(headers, CloudEventHeaders.StreamVersion), System.Globalization.CultureInfo.InvariantCulture),
            long.Parse(Header(headers, CloudEventHeaders.Sequence), System.Globalization.CultureInfo.InvariantCulture),
            Encoding.UTF8.GetString(message.Value), headers);
    }
}

public static class EventStoreRows
{
    /// <summary>Event ids per account stream, in version order, straight from the event store.</summary>
    public static async Task<Dictionary<Guid, List<Guid>>> EventIdsAsync(string connectionString, IEnumerable<Guid> accounts)
    {
        var ids = accounts.ToArray();
        var result = ids.ToDictionary(id => id, _ => new List<Guid>());
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select stream_id, id from ledger.mt_events where stream_id = any($1) order by stream_id, version", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = ids });
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            result[reader.GetGuid(0)].Add(reader.GetGuid(1));
        }

        return result;
    }

    /// <summary>The highest committed sequence number, read straight from the event store.</summary>
    public static Task<long> HeadAsync(string connectionString) =>
        Sql.ScalarAsync<long>(connectionString, "select coalesce(max(seq_id), 0) from ledger.mt_events");

    public static string NewDatabase() => PostgresServer.CreateDatabase();
}
