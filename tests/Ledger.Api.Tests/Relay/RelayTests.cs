using System.Net.Http.Json;
using System.Text.Json;
using Confluent.Kafka;
using Ledger.Contracts;
using Ledger.Development.Kafka;
using Ledger.Messaging.Relay;
using Ledger.Domain.Accounts;
using Ledger.Testing;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Ledger.Api.Tests.Relay;

/// <summary>
/// The relay publishes every committed event, in order per account, at least once, across crashes, broker outages and
/// request errors; what it cannot map it sets aside and reports.
/// </summary>
public sealed class RelayTests(RelayFixture fixture) : IClassFixture<RelayFixture>
{
    private string Bootstrap => fixture.Kafka.BootstrapServers;

    [Fact]
    public async Task CommittedEvents_AllAppearWithTheirContractInOrderPerAccount()
    {
        var database = EventStoreRows.NewDatabase();
        await using var host = new RelayHost(Bootstrap, database, relayEnabled: true);
        var teller = host.Teller;
        var (alice, bob) = (await teller.OpenAccountAsync(), await teller.OpenAccountAsync());
        await teller.DepositAsync(alice, "100.00");
        using (var transfer = await teller.Http.PostAsJsonAsync("/api/v1/transfers", new { fromAccountId = alice, toAccountId = bob, amount = "30.10" }))
        {
            await Teller.Expect(transfer, System.Net.HttpStatusCode.Created);
        }

        using (var withdrawal = await teller.Http.PostAsJsonAsync($"/api/v1/accounts/{bob}/withdrawals", new { amount = 10 }))
        {
            await Teller.Expect(withdrawal, System.Net.HttpStatusCode.OK);
        }

        // Holds through the API's store (no endpoint serves them here), freezes and a closing through the API.
        var writer = new LedgerWriter(host.Services.GetRequiredService<IDocumentStore>());
        await writer.CaptureAsync(await writer.PlaceHoldAsync(alice, 10_00), 5_00, bob);
        await writer.ReleaseAsync(await writer.PlaceHoldAsync(alice, 1_00));
        var carl = await teller.OpenAccountAsync();
        foreach (var (account, change) in new[] { (alice, "freeze"), (alice, "unfreeze"), (carl, "close") })
        {
            using var response = await teller.Http.PostAsJsonAsync($"/api/v1/accounts/{account}/{change}", new { reason = "relay test" });
            await Teller.Expect(response, System.Net.HttpStatusCode.OK);
        }

        var expected = await EventStoreRows.EventIdsAsync(database, [alice, bob, carl]);
        var read = await ReadUntilAsync(host, messages => ContainsAll(messages, expected));

        AssertCompleteAndOrdered(read, expected);
        var transferLegs = read.Where(m => m.Type == CloudEventTypes.MoneyTransferred).DistinctBy(m => m.EventId).ToList();
        transferLegs.Select(m => m.Key).Should().BeEquivalentTo([alice.ToString(), bob.ToString()]);
        transferLegs.Select(m => JsonDocument.Parse(m.Json).RootElement.GetProperty("direction").GetString())
            .Should().BeEquivalentTo(["debit", "credit"]);
        var deposit = read.Single(m => m.Type == CloudEventTypes.MoneyDeposited && m.Key == alice.ToString());
        deposit.Json.Should().Contain("\"amount\":\"100.00\"").And.Contain("\"currency\":\"EUR\"");
        Topic.Header(deposit.Headers, CloudEventHeaders.SpecVersion).Should().Be("1.0");
        Topic.Header(deposit.Headers, CloudEventHeaders.Source).Should().Be("/ledger");
        Topic.Header(deposit.Headers, CloudEventHeaders.Subject).Should().Be(alice.ToString());
        Topic.Header(deposit.Headers, CloudEventHeaders.ContentType).Should().Be("application/json");
        Topic.Header(deposit.Headers, CloudEventHeaders.CorrelationId).Should().NotBeEmpty();
        Topic.Header(deposit.Headers, CloudEventHeaders.Actor).Should().Be("test-teller");
        Topic.Header(deposit.Headers, CloudEventHeaders.ActorRole).Should().Be(Roles.Teller);
        DateTimeOffset.Parse(Topic.Header(deposit.Headers, CloudEventHeaders.Time), System.Globalization.CultureInfo.InvariantCulture)
            .Should().BeCloseTo(DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5));
        var captureLegs = read.Where(m => m.Type == CloudEventTypes.HoldCaptured).DistinctBy(m => m.EventId).ToList();
        captureLegs.Select(m => (m.Key, JsonDocument.Parse(m.Json).RootElement.GetProperty("direction").GetString()))
            .Should().BeEquivalentTo([(alice.ToString(), "debit"), (bob.ToString(), "credit")], "a capture to another account is published like a transfer");
        string[] keys = [alice.ToString(), bob.ToString(), carl.ToString()];
        AssertConformToTheirSchemas(read.Where(m => keys.Contains(m.Key)).ToList());
        // The topic also carries other tests' events (other databases, other sequences): only this test's accounts count.
        var published = read.Where(m => keys.Contains(m.Key)).Max(m => m.Sequence);
        await WaitForRelayAsync(host, status => status.GetProperty("lag").GetInt64() == 0 &&
                                                status.GetProperty("lastPublishedSequence").GetInt64() >= published);
    }

    [Fact]
    public async Task EventsCommittedWhileTheRelayWasDown_ArePublishedWhenItStarts()
    {
        var database = EventStoreRows.NewDatabase();
        Guid alice;
        await using (var withoutRelay = new RelayHost(Bootstrap, database, relayEnabled: false))
        {
            alice = await withoutRelay.Teller.OpenAccountAsync();
            for (var i = 1; i <= 5; i++)
            {
                await withoutRelay.Teller.DepositAsync(alice, i);
            }
        }

        var expected = await EventStoreRows.EventIdsAsync(database, [alice]);
        await using var withRelay = new RelayHost(Bootstrap, database, relayEnabled: true);
        _ = withRelay.Teller;

        AssertCompleteAndOrdered(await ReadUntilAsync(withRelay, messages => ContainsAll(messages, expected)), expected);
    }

    [Fact]
    public async Task CrashAfterSendingBeforeTheCheckpoint_RepublishesWithTheSameIdsAndNoHole()
    {
        var database = EventStoreRows.NewDatabase();
        Guid alice;
        await using (var first = new RelayHost(Bootstrap, database, relayEnabled: true))
        {
            alice = await first.Teller.OpenAccountAsync();
            for (var i = 1; i <= 4; i++)
            {
                await first.Teller.DepositAsync(alice, i);
            }

            var published = await EventStoreRows.EventIdsAsync(database, [alice]);
            await ReadUntilAsync(first, messages => ContainsAll(messages, published));
            await WaitForRelayAsync(first, status => status.GetProperty("lag").GetInt64() == 0);
        }

        // The messages are on the topic but the checkpoint is lost: exactly the state of a crash between the two.
        await Sql.ExecuteAsync(database, "update ledger.mt_event_progression set last_seq_id = 0 where name = 'KafkaRelay:All'");
        await using var second = new RelayHost(Bootstrap, database, relayEnabled: true);
        await second.Teller.DepositAsync(alice, 99);
        var expected = await EventStoreRows.EventIdsAsync(database, [alice]);

        var read = await ReadUntilAsync(second, messages => ContainsAll(messages, expected) &&
                                                          messages.Count(m => m.Key == alice.ToString()) >= 2 * expected[alice].Count - 1);

        AssertCompleteAndOrdered(read, expected);
        read.Where(m => m.Key == alice.ToString()).GroupBy(m => m.EventId).Should().Contain(group => group.Count() >= 2,
            "the events published before the crash are published again, carrying their original ce_id");
    }

    [Fact]
    public async Task BrokerDownForAWhile_EveryEventArrivesOnceItIsBack()
    {
        var database = EventStoreRows.NewDatabase();
        await using var host = new RelayHost(Bootstrap, database, relayEnabled: true);
        var alice = await host.Teller.OpenAccountAsync();
        await WaitForRelayAsync(host, status => status.GetProperty("lag").GetInt64() == 0 && status.GetProperty("lastPublishedSequence").GetInt64() > 0);

        fixture.Kafka.BrokerDown(1);
        try
        {
            for (var i = 1; i <= 5; i++)
            {
                await host.Teller.DepositAsync(alice, i);
            }

            // The ledger keeps accepting commands; the relay holds its checkpoint and says how far behind it is.
            var behind = await WaitForRelayAsync(host, status => status.GetProperty("highWaterMark").GetInt64() >= 6);
            behind.GetProperty("lastPublishedSequence").GetInt64().Should().BeLessThan(6);
            behind.GetProperty("lag").GetInt64().Should().BeGreaterThan(0);
        }
        finally
        {
            fixture.Kafka.BrokerUp(1);
        }

        var expected = await EventStoreRows.EventIdsAsync(database, [alice]);
        AssertCompleteAndOrdered(await ReadUntilAsync(host, messages => ContainsAll(messages, expected)), expected);
        await WaitForRelayAsync(host, status => status.GetProperty("lag").GetInt64() == 0 && status.GetProperty("lastPublishedSequence").GetInt64() >= 6);
    }

    [Fact]
    public async Task ProduceRequestErrors_LoseNothing()
    {
        var database = EventStoreRows.NewDatabase();
        await using var host = new RelayHost(Bootstrap, database, relayEnabled: true);
        var alice = await host.Teller.OpenAccountAsync();
        // Produce (API key 0) answers with retriable errors a few times before it succeeds.
        fixture.Kafka.PushRequestErrors(0, ErrorCode.NotEnoughReplicas, ErrorCode.LeaderNotAvailable, ErrorCode.RequestTimedOut, ErrorCode.NotEnoughReplicas);
        for (var i = 1; i <= 3; i++)
        {
            await host.Teller.DepositAsync(alice, i);
        }

        var expected = await EventStoreRows.EventIdsAsync(database, [alice]);
        var read = await ReadUntilAsync(host, messages => ContainsAll(messages, expected));

        AssertCompleteAndOrdered(read, expected);
        read.Count(m => m.Key == alice.ToString()).Should().BeLessThanOrEqualTo(2 * expected[alice].Count, "duplicates are bounded");
    }

    [Fact]
    public async Task FatalProducerError_TheRelayGoesOnWithANewProducerAndLosesNothing()
    {
        var database = EventStoreRows.NewDatabase();
        await using var host = new RelayHost(Bootstrap, database, relayEnabled: true);
        var alice = await host.Teller.OpenAccountAsync();
        await WaitForRelayAsync(host, status => status.GetProperty("lag").GetInt64() == 0 && status.GetProperty("lastPublishedSequence").GetInt64() > 0);

        var publisher = host.Services.GetRequiredService<EventPublisher>();
        EmbeddedKafka.RaiseFatalError(publisher.Handle, ErrorCode.OutOfOrderSequenceNumber, "the broker lost the producer's state");
        for (var i = 1; i <= 3; i++)
        {
            await host.Teller.DepositAsync(alice, i);
        }

        var expected = await EventStoreRows.EventIdsAsync(database, [alice]);
        AssertCompleteAndOrdered(await ReadUntilAsync(host, messages => ContainsAll(messages, expected)), expected);
        publisher.ProducersReplaced.Should().Be(1);
    }

    [Fact]
    public async Task UnmappableEvent_IsSetAsideReportedAndDoesNotStallTheOthers()
    {
        var database = EventStoreRows.NewDatabase();
        await using var host = new RelayHost(Bootstrap, database, relayEnabled: true);
        var alice = await host.Teller.OpenAccountAsync();
        var store = host.Services.GetRequiredService<IDocumentStore>();
        await using (var session = store.LightweightSession())
        {
            // A currency no contract can express: the relay cannot map it.
            session.Events.Append(alice, new MoneyDeposited(alice, 100, "ZZZ", "corrupt", DateTimeOffset.UtcNow));
            await session.SaveChangesAsync();
        }

        await host.Teller.DepositAsync(alice, 7);
        var stored = await EventStoreRows.EventIdsAsync(database, [alice]);
        var expected = new Dictionary<Guid, List<Guid>> { [alice] = [stored[alice][0], stored[alice][2]] };

        var read = await ReadUntilAsync(host, messages => ContainsAll(messages, expected));

        read.Should().NotContain(m => m.EventId == stored[alice][1]);
        var status = await WaitForRelayAsync(host, s => s.GetProperty("deadLetters").GetInt64() == 1 && s.GetProperty("lag").GetInt64() == 0);
        status.GetProperty("lastPublishedSequence").GetInt64().Should().BeGreaterThanOrEqualTo(3);
    }

    [Fact]
    public async Task FaultsOnTheWay_LeaveTheConsumersEffectsAsWithoutThem()
    {
        var database = EventStoreRows.NewDatabase();
        await using var host = new RelayHost(Bootstrap, database, relayEnabled: true, consumersEnabled: true);
        var alice = await host.Teller.OpenAccountAsync(currency: "USD");
        await host.Teller.DepositAsync(alice, "50000.00");

        // Produce errors, then the broker goes away while the teller keeps working, then comes back.
        fixture.Kafka.PushRequestErrors(0, ErrorCode.NotEnoughReplicas, ErrorCode.RequestTimedOut, ErrorCode.NotEnoughReplicas);
        fixture.Kafka.BrokerDown(1);
        try
        {
            using var large = await host.Teller.Http.PostAsJsonAsync($"/api/v1/accounts/{alice}/withdrawals", new { amount = "20000.00" });
            await Teller.Expect(large, System.Net.HttpStatusCode.OK);
            await host.Teller.DepositAsync(alice, "1.00");
        }
        finally
        {
            fixture.Kafka.BrokerUp(1);
        }

        var events = (await EventStoreRows.EventIdsAsync(database, [alice]))[alice];
        using var http = host.CreateClient();
        // The topic is shared with this class's other tests, so count this account's audit rows in this test's database.
        await Eventually.FoundAsync(async () => await AuditRowsAsync(database, alice) == events.Count ? (object?)true : null);
        var alerts = await Eventually.FoundAsync(async () =>
        {
            var page = await http.GetFromJsonAsync<JsonElement>($"/api/v1/fraud/alerts?accountId={alice}");
            var list = page.GetProperty("alerts").EnumerateArray().ToList();
            return list.Count > 0 ? list : null;
        });

        alerts.Should().ContainSingle(alert => alert.GetProperty("rule").GetString() == "large-debit");
        var audit = await http.GetFromJsonAsync<JsonElement>("/api/v1/audit/status");
        audit.GetProperty("gaps").EnumerateArray().Should().NotContain(gap => gap.GetProperty("accountId").GetGuid() == alice);
        (await AuditRowsAsync(database, alice)).Should().Be(events.Count, "a redelivered event is recorded once");
    }

    private static async Task<long> AuditRowsAsync(string database, Guid accountId)
    {
        await using var connection = new Npgsql.NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "select count(*) from ledger_audit.audit_log where account_id = $1 and exists " +
            "(select 1 from information_schema.tables where table_schema = 'ledger_audit' and table_name = 'audit_log')", connection);
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = accountId });
        try
        {
            return (long)(await command.ExecuteScalarAsync())!;
        }
        catch (Npgsql.PostgresException exception) when (exception.SqlState == Npgsql.PostgresErrorCodes.UndefinedTable)
        {
            return 0;
        }
    }

    [Fact]
    public async Task KafkaUnreachable_TheLedgerStillServesAndTheRelayReportsItsLag()
    {
        var database = EventStoreRows.NewDatabase();
        // Nothing listens on port 9 (discard) of the loopback address: Kafka is down from the start.
        await using var host = new RelayHost("127.0.0.1:9", database, relayEnabled: true);

        var alice = await host.Teller.OpenAccountAsync();
        await host.Teller.DepositAsync(alice, 5);

        var status = await WaitForRelayAsync(host, s => s.GetProperty("highWaterMark").GetInt64() >= 2);
        status.GetProperty("lastPublishedSequence").GetInt64().Should().Be(0);
        status.GetProperty("lag").GetInt64().Should().BeGreaterThanOrEqualTo(2);
    }

    [Fact]
    public async Task RightAfterABurst_LagIsZeroOnlyOnceEverythingCommittedIsPublished()
    {
        var database = EventStoreRows.NewDatabase();
        await using var host = new RelayHost(Bootstrap, database, relayEnabled: true);
        var teller = host.Teller;
        var accounts = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            accounts.Add(await teller.OpenAccountAsync());
        }

        await WaitForRelayAsync(host, s => s.GetProperty("lag").GetInt64() == 0 && s.GetProperty("lastPublishedSequence").GetInt64() >= 4);
        await Task.WhenAll(accounts.Select(async account =>
        {
            for (var i = 1; i <= 5; i++)
            {
                await teller.DepositAsync(account, i);
            }
        }));

        // Whatever moment an operator polls, "lag 0" must mean that what had committed before the poll is published.
        using var http = host.CreateClient();
        var (committed, status) = await Eventually.ReachesAsync(async () =>
        {
            var committedBefore = await EventStoreRows.HeadAsync(database);
            var polled = await http.GetFromJsonAsync<JsonElement>("/api/v1/relay");
            polled.GetProperty("highWaterMark").GetInt64().Should().BeGreaterThanOrEqualTo(committedBefore);
            return (committedBefore, polled);
        }, poll => poll.polled.GetProperty("lag").GetInt64() == 0, "the relay to catch up");
        status.GetProperty("lastPublishedSequence").GetInt64().Should().BeGreaterThanOrEqualTo(committed,
            "a lag of 0 was reported; the status was {0}", status);
    }

    [Fact]
    public async Task SequenceNumbersBurntWithoutEvents_TheHeadIsTheSameForRelayAndProjections()
    {
        var database = EventStoreRows.NewDatabase();
        await using var host = new RelayHost(Bootstrap, database, relayEnabled: true);
        var alice = await host.Teller.OpenAccountAsync();
        await host.Teller.DepositAsync(alice, 5);
        await WaitForRelayAsync(host, s => s.GetProperty("lag").GetInt64() == 0 && s.GetProperty("lastPublishedSequence").GetInt64() >= 2);

        // A crash loses the sequence numbers PostgreSQL had logged ahead: the sequence jumps past numbers no event will take.
        var head = await EventStoreRows.HeadAsync(database);
        await Sql.ExecuteAsync(database, "select setval('ledger.mt_events_sequence', $1)", head + 7);
        await Eventually.HoldsAsync(async () => await Sql.ScalarAsync<long>(database,
                "select coalesce(max(last_seq_id), 0) from ledger.mt_event_progression where name = 'HighWaterMark'") > head,
            "Marten's daemon to move its high-water mark past the burnt numbers", TimeSpan.FromSeconds(60));

        using var http = host.CreateClient();
        var relay = await http.GetFromJsonAsync<JsonElement>("/api/v1/relay");
        var projections = await http.GetFromJsonAsync<JsonElement>("/api/v1/projections");
        relay.GetProperty("highWaterMark").GetInt64().Should().Be(head);
        relay.GetProperty("lag").GetInt64().Should().Be(0);
        projections.EnumerateArray().Select(p => p.GetProperty("highWaterMark").GetInt64()).Should().AllBeEquivalentTo(head);
    }


    private static bool ContainsAll(IReadOnlyList<PublishedEvent> messages, Dictionary<Guid, List<Guid>> expected)
    {
        var seen = messages.Select(m => m.EventId).ToHashSet();
        return expected.Values.SelectMany(ids => ids).All(seen.Contains);
    }

    /// <summary>
    /// Every message names the schema of its data, and the data is valid under the published schema; the ledger's
    /// extensions also travel under their former names, with the same values, while consumers move over.
    /// </summary>
    private static void AssertConformToTheirSchemas(IReadOnlyList<PublishedEvent> messages)
    {
        messages.Select(m => m.Type).Distinct().Should().BeEquivalentTo(CloudEventTypes.AccountEventTypes.Keys, "the run covers every account event type");
        foreach (var message in messages)
        {
            var dataSchema = Topic.Header(message.Headers, CloudEventHeaders.DataSchema);
            dataSchema.Should().Be(ContractSchemas.Of(message.Type).DataSchema);
            ContractSchemaCheck.Problems(dataSchema, message.Json).Should().BeEmpty(message.Json);
            foreach (var (name, former) in CloudEventHeaders.FormerNames)
            {
                message.Headers.TryGetLastBytes(name, out var value).Should().Be(message.Headers.TryGetLastBytes(former, out var formerValue), name);
                (value ?? []).Should().Equal(formerValue ?? [], name);
            }
        }
    }

    /// <summary>Every event is there; per account the first delivery of each event follows stream order; a duplicate is identical.</summary>
    private static void AssertCompleteAndOrdered(IReadOnlyList<PublishedEvent> read, Dictionary<Guid, List<Guid>> expected)
    {
        foreach (var (account, ids) in expected)
        {
            var mine = read.Where(m => m.Key == account.ToString()).ToList();
            mine.Select(m => m.EventId).Distinct().Should().Equal(ids, "account {0}'s events arrive in stream order", account);
            mine.DistinctBy(m => m.EventId).Select(m => m.StreamVersion).Should().Equal(Enumerable.Range(1, ids.Count).Select(v => (long)v));
            foreach (var copies in mine.GroupBy(m => m.EventId))
            {
                copies.Select(m => (m.StreamVersion, m.Sequence, m.Json)).Distinct().Should().HaveCount(1, "a redelivery is the same message");
            }
        }
    }

    /// <summary>
    /// Reads the topic until <paramref name="done"/> holds; when it does not in time, the failure carries what the relay
    /// and Marten's daemon reported at that moment, so a slow relay can be told from a stuck one.
    /// </summary>
    private async Task<IReadOnlyList<PublishedEvent>> ReadUntilAsync(RelayHost host, Func<IReadOnlyList<PublishedEvent>, bool> done)
    {
        try
        {
            return Topic.ReadUntil(Bootstrap, done);
        }
        catch (TimeoutException timeout)
        {
            using var http = host.CreateClient();
            var relay = await http.GetStringAsync("/api/v1/relay");
            var progress = await Sql.ScalarAsync<string>(host.ConnectionString,
                "select string_agg(name || '=' || last_seq_id, ', ' order by name) from ledger.mt_event_progression");
            var head = await EventStoreRows.HeadAsync(host.ConnectionString);
            throw new TimeoutException($"{timeout.Message} Relay status: {relay}; daemon progress: {progress}; head: {head}.", timeout);
        }
    }

    private static async Task<JsonElement> WaitForRelayAsync(RelayHost host, Func<JsonElement, bool> condition)
    {
        using var http = host.CreateClient();
        return await Eventually.ReachesAsync(() => http.GetFromJsonAsync<JsonElement>("/api/v1/relay"), condition, "the relay status to match");
    }
}
