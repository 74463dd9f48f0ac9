using Confluent.Kafka;
using Ledger.Contracts;
using Ledger.Development.Kafka;
using Ledger.Messaging.Consumers;
using Ledger.Testing;
using Npgsql;

namespace Ledger.Cli.Tests;

/// <summary><c>ledger relay republish</c> against a seeded database and an embedded Kafka of the test's own.</summary>
public sealed class RelayCommandTests : IDisposable
{
    private readonly EmbeddedKafka _kafka = LedgerKafka.Start(partitions: 3);

    public void Dispose() => _kafka.Dispose();

    [Fact]
    public async Task Republish_PublishesTheRangeWithTheStoredEventIds_AndRepairsTheGapsItCovers()
    {
        var ledger = new LedgerCli(PostgresServer.CreateDatabase());
        (await ledger.SeedAsync(accounts: 5, transfers: 10)).ExitCode.Should().Be(0);
        var gaps = new ConsumerGapStore(NpgsqlDataSource.Create(ledger.ConnectionString));
        await gaps.RecordAsync("ledger-audit", KafkaTopics.AccountEvents, 1, 40, 44, afterSequence: 4, beforeSequence: 10, DateTimeOffset.UtcNow);
        await gaps.RecordAsync("ledger-fraud", KafkaTopics.AccountEvents, 2, 7, 7, afterSequence: 4, beforeSequence: 13, DateTimeOffset.UtcNow);

        var result = await ledger.RunAsync("relay", "republish", "--from-sequence", "5", "--to-sequence", "11", "--bootstrap-servers",
            _kafka.BootstrapServers, "--json");

        result.ExitCode.Should().Be(0, result.ToString());
        var summary = result.Json();
        summary.GetProperty("fromSequence").GetInt64().Should().Be(5);
        summary.GetProperty("toSequence").GetInt64().Should().Be(11);
        summary.GetProperty("published").GetInt64().Should().Be(7);
        summary.GetProperty("skipped").GetInt64().Should().Be(0);
        summary.GetProperty("gapsRepaired").EnumerateArray().Select(gap => gap.GetProperty("consumerGroup").GetString())
            .Should().Equal("ledger-audit");
        (await gaps.OpenAsync()).Select(gap => gap.ConsumerGroup).Should().Equal("ledger-fraud");
        var stored = await StoredAsync(ledger.ConnectionString, 5, 11);
        ReadAccountEvents(7).Should().BeEquivalentTo(stored, "each message carries its event's id, stream key and sequence");
    }

    [Fact]
    public async Task Republish_WithoutToSequence_RunsToTheLastEvent()
    {
        var ledger = new LedgerCli(PostgresServer.CreateDatabase());
        (await ledger.SeedAsync(accounts: 3, transfers: 4)).ExitCode.Should().Be(0);
        var last = await Sql.ScalarAsync<long>(ledger.ConnectionString, "select max(seq_id) from ledger.mt_events");

        var result = await ledger.RunAsync("relay", "republish", "--from-sequence", "1", "--bootstrap-servers", _kafka.BootstrapServers);

        result.ExitCode.Should().Be(0, result.ToString());
        result.Output.Should().StartWith($"republished {last} events (sequences 1..{last})");
        ReadAccountEvents((int)last).Should().BeEquivalentTo(await StoredAsync(ledger.ConnectionString, 1, last));
    }

    [Fact]
    public async Task Republish_SkipsTombstones()
    {
        var ledger = new LedgerCli(PostgresServer.CreateDatabase());
        (await ledger.SeedAsync(accounts: 2, transfers: 1)).ExitCode.Should().Be(0);
        // What Marten leaves when an append fails after reserving its sequence: a 'tombstone' event on a stream of its own.
        await Sql.ExecuteAsync(ledger.ConnectionString,
            "insert into ledger.mt_streams (id, type, version, timestamp, created, tenant_id, is_archived) " +
            "values ('00000000-0000-0000-0000-000000000001', null, 1, now(), now(), '*DEFAULT*', false); " +
            "insert into ledger.mt_events (seq_id, id, stream_id, version, data, type, timestamp, tenant_id, mt_dotnet_type, is_archived) " +
            "select max(seq_id) + 1, gen_random_uuid(), '00000000-0000-0000-0000-000000000001', 1, '{}', 'tombstone', now(), '*DEFAULT*', " +
            "'Marten.Events.Tombstone, Marten', false from ledger.mt_events");
        var events = await Sql.ScalarAsync<long>(ledger.ConnectionString, "select count(*) from ledger.mt_events where type <> 'tombstone'");

        var result = await ledger.RunAsync("relay", "republish", "--from-sequence", "1", "--bootstrap-servers", _kafka.BootstrapServers, "--json");

        result.ExitCode.Should().Be(0, result.ToString());
        result.Json().GetProperty("published").GetInt64().Should().Be(events);
        result.Json().GetProperty("skipped").GetInt64().Should().Be(0);
    }

    [Theory]
    [InlineData("--from-sequence", "0")]
    [InlineData("--from-sequence", "9", "--to-sequence", "8")]
    public async Task Republish_WithAnImpossibleRange_IsAUsageError(params string[] range)
    {
        var ledger = new LedgerCli(PostgresServer.CreateDatabase());

        var result = await ledger.RunAsync(["relay", "republish", .. range, "--bootstrap-servers", _kafka.BootstrapServers], CancellationToken.None);

        result.ExitCode.Should().Be(2, result.ToString());
    }

    private static async Task<List<(string Key, string EventId, long Sequence)>> StoredAsync(string connectionString, long from, long to)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"select stream_id, id, seq_id from ledger.mt_events where seq_id between {from} and {to} order by seq_id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, string, long)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetGuid(0).ToString(), reader.GetGuid(1).ToString(), reader.GetInt64(2)));
        }

        return rows;
    }

    private List<(string Key, string EventId, long Sequence)> ReadAccountEvents(int count) =>
        LedgerKafka.Read(_kafka.BootstrapServers, KafkaTopics.AccountEvents, count, TimeSpan.FromSeconds(30))
            .Select(result => (result.Message.Key, LedgerKafka.Header(result.Message.Headers, CloudEventHeaders.Id),
                long.Parse(LedgerKafka.Header(result.Message.Headers, CloudEventHeaders.Sequence), System.Globalization.CultureInfo.InvariantCulture)))
            .ToList();
}
