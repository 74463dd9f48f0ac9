using System.Text.Json.Nodes;
using Ledger.Domain.Accounts;
using Ledger.EventStore;
using Ledger.EventStore.Projections;
using Ledger.EventStore.Transfers;
using Ledger.Testing;
using Marten;

namespace Ledger.Api.Tests.EventStore;

/// <summary>
/// The JSON Marten stores for the ledger's events and documents. Their metadata is generated at compile time
/// (<see cref="StoreJson"/>); history written before that, and every reader of the tables, expect exactly this shape:
/// camelCase members, enums as strings, nothing added or dropped.
/// </summary>
public sealed class StoredJsonTests : IAsyncLifetime
{
    private static readonly DateTimeOffset At = new(2026, 11, 30, 9, 15, 0, TimeSpan.Zero);
    private static readonly Guid Alice = Guid.Parse("0192f1a2-0000-7000-8000-000000000001");
    private static readonly Guid Bob = Guid.Parse("0192f1a2-0000-7000-8000-000000000002");
    private static readonly Guid TransferId = Guid.Parse("0192f1a2-0000-7000-8000-0000000000ff");

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
    public async Task EventsAndDocuments_AreStoredCamelCasedWithEnumsAsStrings_AndReadBackEqual()
    {
        var created = new AccountCreated(Alice, "Alice", "EUR", 5_000, At);
        var transferred = new MoneyTransferred(TransferId, Alice, Bob, 1_250, "EUR", "rent", At.AddMinutes(1));
        var receipt = new TransferReceipt(TransferId, Alice, Bob, 1_250, "EUR", "rent", -1_250, 1_250, At.AddMinutes(1));
        await using (var session = _store.LightweightSession())
        {
            session.Events.StartStream<Account>(Alice, created, transferred);
            session.Insert(receipt);
            await session.SaveChangesAsync();
        }

        var events = await Sql.ScalarAsync<string>(_connectionString,
            "select json_agg(data order by version)::text from ledger.mt_events where stream_id = $1", Alice);
        JsonNode.DeepEquals(JsonNode.Parse(events), JsonNode.Parse($$"""
            [{"accountId":"{{Alice}}","owner":"Alice","currency":"EUR","overdraftLimitMinor":5000,"occurredAt":"2026-11-30T09:15:00+00:00"},
             {"transferId":"{{TransferId}}","fromAccountId":"{{Alice}}","toAccountId":"{{Bob}}","amountMinor":1250,"currency":"EUR",
              "reference":"rent","occurredAt":"2026-11-30T09:16:00+00:00"}]
            """)).Should().BeTrue("the stored events were {0}", events);

        var account = await Sql.ScalarAsync<string>(_connectionString, "select data::text from ledger.mt_doc_account where id = $1", Alice);
        JsonNode.DeepEquals(JsonNode.Parse(account), JsonNode.Parse($$"""
            {"accountId":"{{Alice}}","owner":"Alice","currency":"EUR","balanceMinor":-1250,"overdraftLimitMinor":5000,"status":"Open",
             "currencyUnit":{"code":"EUR","exponent":2,"minorPerMajor":100},
             "version":2,"createdAt":"2026-11-30T09:15:00+00:00","updatedAt":"2026-11-30T09:16:00+00:00"}
            """)).Should().BeTrue("the stored account was {0}", account);

        await using var query = _store.QuerySession();
        (await query.Events.FetchStreamAsync(Alice)).Select(e => e.Data).Should().Equal(created, transferred);
        (await query.LoadAsync<TransferReceipt>(TransferId)).Should().Be(receipt);
        (await query.LoadAsync<Account>(Alice))!.Status.Should().Be(AccountStatus.Open);
    }
}
