using System.Text.Json.Nodes;
using Ledger.Domain.Accounts;
using Ledger.EventStore;
using Ledger.EventStore.MartenStorage;
using Ledger.EventStore.Transfers;
using Ledger.Testing;
using Marten;
using Npgsql;
using Ledger.EventStore.Projections;

namespace Ledger.Api.Tests.EventStore;

/// <summary>
/// The ledger's statements against Marten's own tables (<see cref="MartenTables"/>, <see cref="MartenBulkWriter"/>) checked
/// against the schema that the Marten version in use creates, in a database of its own. When an upgrade changes a column
/// they rely on, or a value the seed writes the way Marten does, these tests fail and name it; nothing else should (ADR-013).
/// </summary>
public sealed class MartenTablesTests : IAsyncLifetime
{
    private const string Upgrade = "Marten's own schema changed under the ledger: adapt MartenTables and MartenBulkWriter (ADR-013)";

    private static readonly DateTimeOffset At = new(2026, 11, 30, 9, 15, 0, TimeSpan.Zero);
    private static readonly Guid Alice = Guid.Parse("0192f1a2-0000-7000-8000-000000000001");
    private static readonly Guid Bob = Guid.Parse("0192f1a2-0000-7000-8000-000000000002");
    private static readonly Guid TransferId = Guid.Parse("0192f1a2-0000-7000-8000-0000000000ff");
    private static readonly Guid HoldId = Guid.Parse("0192f1a2-0000-7000-8000-0000000000fe");

    private readonly string _connectionString = PostgresServer.CreateDatabase();
    private DocumentStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = DocumentStore.For(options => LedgerStore.Configure(options, _connectionString, ProjectionCatalog.Ledger));
        await _store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
    }

    public Task DisposeAsync()
    {
        _store.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task EveryColumnTheLedgerReliesOn_ExistsWithTheTypeItExpects()
    {
        var created = await ScalarsAsync(
            "select table_name || '.' || column_name || ' ' || data_type from information_schema.columns where table_schema = $1");
        var problems = MartenTables.ReliedOn
            .Where(column => !created.Contains($"{column.Table}.{column.Name} {column.DataType}"))
            .Select(column => Describe(column, created))
            .ToList();

        problems.Should().BeEmpty(Upgrade);
    }

    [Fact]
    public async Task EveryEventsStream_IsAStreamRow()
    {
        // The trial balance and the incremental integrity check take the streams from mt_streams (MartenTables.SelectStreamIds).
        var references = await ScalarsAsync(
            "select c.conrelid::regclass || ' -> ' || c.confrelid::regclass || ' ' || pg_get_constraintdef(c.oid) from pg_constraint c " +
            "where c.contype = 'f' and c.connamespace = $1::regnamespace");

        references.Should().Contain(reference => reference.StartsWith($"{MartenTables.Events} -> {MartenTables.Streams} FOREIGN KEY (stream_id)",
            StringComparison.Ordinal), Upgrade);
    }

    [Fact]
    public async Task TheEventSequence_IsWhereTheSeedTakesItsNumbers()
    {
        var sequences = await ScalarsAsync("select sequence_schema || '.' || sequence_name from information_schema.sequences where sequence_schema = $1");

        sequences.Should().Contain(MartenTables.EventSequence, Upgrade);
    }

    [Fact]
    public async Task ValuesTheSeedWritesAsMartenDoes_AreWhatMartenWritesForAnAppend()
    {
        var created = new AccountCreated(Guid.NewGuid(), "Ada Lovelace", "EUR", 0, new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero));
        var receipt = new TransferReceipt(Guid.NewGuid(), created.AccountId, Guid.NewGuid(), 1, "EUR", null, 0, 0, created.OccurredAt);
        var hold = new Hold(Guid.NewGuid(), created.AccountId, 1, "EUR", null, null, HoldPurpose.Hold, null, null, HoldStatus.Open, created.OccurredAt);
        await using (var session = _store.LightweightSession())
        {
            session.Store(hold);
            session.CorrelationId = "pinning";
            Actor.Seed.StampOn(session);
            session.Events.StartStream<Account>(created.AccountId, created);
            session.Store(receipt);
            await session.SaveChangesAsync();
        }

        var id = $"'{created.AccountId}'";
        (await ScalarsAsync($"select concat_ws('|', type, tenant_id, mt_dotnet_type, is_archived) from {MartenTables.Events} where stream_id = {id}"))
            .Should().Equal([string.Join('|', LedgerStore.EventTypeNames[typeof(AccountCreated)], MartenBulkWriter.DefaultTenant,
                MartenBulkWriter.EventDotnetType(typeof(AccountCreated)), "f")], Upgrade);
        (await ScalarsAsync($"select concat_ws('|', user_name, headers = '{MartenBulkWriter.HeadersJson(Actor.Seed)}'::jsonb) " +
                            $"from {MartenTables.Events} where stream_id = {id}"))
            .Should().Equal([$"{Actor.Seed.Subject}|t"], Upgrade);
        (await ScalarsAsync($"select concat_ws('|', type, tenant_id, created = timestamp) from {MartenTables.Streams} where id = {id}"))
            .Should().Equal([$"{MartenBulkWriter.AccountStreamType}|{MartenBulkWriter.DefaultTenant}|t"], Upgrade);
        (await ScalarsAsync($"select concat_ws('|', mt_dotnet_type, mt_version) from {LedgerStore.Schema}.{MartenTables.AccountDocuments} where id = {id}"))
            .Should().Equal([$"{MartenBulkWriter.DocumentDotnetType(typeof(Account))}|1"], Upgrade);
        (await ScalarsAsync($"select mt_dotnet_type from {LedgerStore.Schema}.{MartenTables.TransferReceiptDocuments} where id = '{receipt.TransferId}'"))
            .Should().Equal([MartenBulkWriter.DocumentDotnetType(typeof(TransferReceipt))], Upgrade);
        (await ScalarsAsync($"select concat_ws('|', mt_dotnet_type, {MartenTables.HoldAccountColumn}) from {LedgerStore.Schema}.{MartenTables.HoldDocuments} " +
                            $"where id = '{hold.HoldId}'"))
            .Should().Equal([$"{MartenBulkWriter.DocumentDotnetType(typeof(Hold))}|{created.AccountId}"], Upgrade);
    }

    private static string Describe(MartenTables.Column column, IReadOnlyList<string> created)
    {
        var found = created.FirstOrDefault(c => c.StartsWith($"{column.Table}.{column.Name} ", StringComparison.Ordinal));
        return found is null
            ? $"{LedgerStore.Schema}.{column.Table}.{column.Name} is missing; the ledger relies on it as {column.DataType}"
            : $"{LedgerStore.Schema}.{found[..found.IndexOf(' ', StringComparison.Ordinal)]} is {found[(found.IndexOf(' ', StringComparison.Ordinal) + 1)..]}; " +
              $"the ledger relies on {column.DataType}";
    }

    private async Task<IReadOnlyList<string>> ScalarsAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        if (sql.Contains("$1", StringComparison.Ordinal))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = LedgerStore.Schema });
        }

        var values = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }

    // The JSON of the ledger's events and documents: its metadata is generated at compile time (StoreJson); history written
    // before, and every reader of the tables, expect exactly this shape (camelCase, enums as strings, nothing added or dropped).
    [Fact]
    public async Task EventsAndDocuments_AreStoredCamelCasedWithEnumsAsStrings_AndReadBackEqual()
    {
        var created = new AccountCreated(Alice, "Alice", "EUR", 5_000, At);
        var transferred = new MoneyTransferred(TransferId, Alice, Bob, 1_250, "EUR", "rent", At.AddMinutes(1));
        var receipt = new TransferReceipt(TransferId, Alice, Bob, 1_250, "EUR", "rent", -1_250, 1_250, At.AddMinutes(1));
        var placed = new HoldPlaced(HoldId, Alice, 300, "EUR", "hotel", At.AddDays(1), HoldPurpose.Hold, null, null, At.AddMinutes(2));
        var hold = AccountDecider.EvolveHold(null, placed);
        await using (var session = _store.LightweightSession())
        {
            session.Events.StartStream<Account>(Alice, created, transferred, placed);
            session.Insert(receipt);
            session.Insert(hold);
            await session.SaveChangesAsync();
        }

        var events = await Sql.ScalarAsync<string>(_connectionString,
            "select json_agg(data order by version)::text from ledger.mt_events where stream_id = $1", Alice);
        JsonNode.DeepEquals(JsonNode.Parse(events), JsonNode.Parse($$"""
            [{"accountId":"{{Alice}}","owner":"Alice","currency":"EUR","overdraftLimitMinor":5000,"occurredAt":"2026-11-30T09:15:00+00:00"},
             {"transferId":"{{TransferId}}","fromAccountId":"{{Alice}}","toAccountId":"{{Bob}}","amountMinor":1250,"currency":"EUR",
              "reference":"rent","occurredAt":"2026-11-30T09:16:00+00:00"},
             {"holdId":"{{HoldId}}","accountId":"{{Alice}}","amountMinor":300,"currency":"EUR","reference":"hotel",
              "expiresAt":"2026-12-01T09:15:00+00:00","purpose":"Hold","toAccountId":null,"requestedBy":null,"occurredAt":"2026-11-30T09:17:00+00:00"}]
            """)).Should().BeTrue("the stored events were {0}", events);

        var account = await Sql.ScalarAsync<string>(_connectionString, "select data::text from ledger.mt_doc_account where id = $1", Alice);
        JsonNode.DeepEquals(JsonNode.Parse(account), JsonNode.Parse($$"""
            {"accountId":"{{Alice}}","owner":"Alice","currency":"EUR","balanceMinor":-1250,"overdraftLimitMinor":5000,"status":"Open",
             "currencyUnit":{"code":"EUR","exponent":2,"minorPerMajor":100},
             "version":3,"createdAt":"2026-11-30T09:15:00+00:00","updatedAt":"2026-11-30T09:17:00+00:00","heldMinor":300,"holdsOpen":1}
            """)).Should().BeTrue("the stored account was {0}", account);

        var holdJson = await Sql.ScalarAsync<string>(_connectionString, "select data::text from ledger.mt_doc_hold where id = $1", HoldId);
        JsonNode.DeepEquals(JsonNode.Parse(holdJson), JsonNode.Parse($$"""
            {"holdId":"{{HoldId}}","accountId":"{{Alice}}","amountMinor":300,"currency":"EUR","reference":"hotel",
             "expiresAt":"2026-12-01T09:15:00+00:00","purpose":"Hold","toAccountId":null,"requestedBy":null,"status":"Open",
             "placedAt":"2026-11-30T09:17:00+00:00","capturedMinor":null,"capturedToAccountId":null,"approvedBy":null,"releaseReason":null,
             "rejectedBy":null,"closedAt":null,"awaitsApproval":false}
            """)).Should().BeTrue("the stored hold was {0}", holdJson);

        await using var query = _store.QuerySession();
        (await query.Events.FetchStreamAsync(Alice)).Select(e => e.Data).Should().Equal(created, transferred, placed);
        (await query.LoadAsync<Hold>(HoldId)).Should().Be(hold);
        (await query.LoadAsync<TransferReceipt>(TransferId)).Should().Be(receipt);
        (await query.LoadAsync<Account>(Alice))!.Status.Should().Be(AccountStatus.Open);
    }
}
