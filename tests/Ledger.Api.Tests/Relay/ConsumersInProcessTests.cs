using System.Net.Http.Json;
using System.Text.Json;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Contracts;
using Ledger.Testing;

namespace Ledger.Api.Tests.Relay;

/// <summary>
/// In the default (embedded Kafka) mode the whole path runs in one process: a teller's command is committed, relayed to
/// Kafka, consumed by the fraud and audit consumers, and visible through their endpoints.
/// </summary>
[Collection(ApiFixtureGroup.Name)]
public sealed class ConsumersInProcessTests(LedgerApiFactory factory)
{
    private readonly Teller _teller = new(factory.CreateClient());

    private readonly Auditor _auditor = new(factory.CreateClient());

    private readonly HttpClient _admin = factory.CreateClient();

    [Fact]
    public async Task LargeWithdrawal_RaisesOneFraudAlertAndIsInTheAuditLog()
    {
        var account = await _teller.OpenAccountAsync(currency: "GBP");
        await _teller.DepositAsync(account, "20000.00");
        using (var withdrawal = await _teller.Http.PostAsJsonAsync($"/api/v1/accounts/{account}/withdrawals", new { amount = "15000.00" }))
        {
            await Teller.Expect(withdrawal, System.Net.HttpStatusCode.OK);
        }

        var alerts = await Eventually.FoundAsync(async () =>
        {
            var page = await _auditor.Http.GetFromJsonAsync<JsonElement>($"/api/v1/fraud/alerts?accountId={account}");
            var found = page.GetProperty("alerts").EnumerateArray().Where(alert => alert.GetProperty("rule").GetString() == "large-debit").ToList();
            return found.Count > 0 ? found : null;
        });

        alerts.Should().ContainSingle();
        alerts[0].GetProperty("amount").GetString().Should().Be("15000.00");
        alerts[0].GetProperty("currency").GetString().Should().Be("GBP");
        var audit = await Eventually.FoundAsync(async () =>
        {
            var status = await _auditor.Http.GetFromJsonAsync<JsonElement>("/api/v1/audit/status");
            return status.GetProperty("entries").GetInt64() >= 3 ? (JsonElement?)status : null;
        });
        audit.GetProperty("gaps").EnumerateArray().Should().NotContain(gap => gap.GetProperty("accountId").GetGuid() == account);
    }

    [Fact]
    public async Task DepositByAClerk_IsInTheAuditLogWithItsActor()
    {
        var account = await _teller.OpenAccountAsync(currency: "GBP");
        var clerk = new Teller(factory.CreateClient());
        clerk.Http.As(Roles.Teller, "clerk-audit-3");
        await clerk.DepositAsync(account, "5.00");

        var actor = await Eventually.FoundAsync(() => Sql.ScalarAsync<string?>(factory.ConnectionString,
            "select actor || '/' || actor_role from ledger_audit.audit_log where account_id = $1 and type = $2", account,
            CloudEventTypes.MoneyDeposited));

        actor.Should().Be($"clerk-audit-3/{Roles.Teller}");
    }

    [Theory]
    [InlineData("limit=0&after=abc", "limit", "'limit' must be between 1 and 1000.")]
    [InlineData("limit=1001", "limit", "'limit' must be between 1 and 1000.")]
    [InlineData("after=abc", "after", "'after' must be a cursor returned as 'nextCursor' by a previous page.")]
    public async Task BadFraudAlertsParameter_IsAValidationErrorOnIt(string query, string field, string message)
    {
        using var response = await _auditor.GetAsync($"/api/v1/fraud/alerts?{query}");

        var problem = await Teller.ExpectValidationError(response, field);

        problem.GetProperty("errors").Deserialize<Dictionary<string, string[]>>().Should()
            .BeEquivalentTo(new Dictionary<string, string[]> { [field] = [message] });
    }

    [Fact]
    public async Task Metrics_ExposeRelayProgressAndConsumerLagPerGroup()
    {
        var account = await _teller.OpenAccountAsync();
        await _teller.DepositAsync(account, 1);

        var metrics = await Eventually.FoundAsync(async () =>
        {
            var text = await _admin.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            return text.Contains("ledger_relay_published", StringComparison.Ordinal) &&
                   text.Contains("ledger_consumer_lag", StringComparison.Ordinal) ? text : null;
        });

        metrics.Should().Contain("group=\"ledger-audit\"").And.Contain("group=\"ledger-fraud\"");
        // The runtime's own meter, which the benchmark's memory curve reads.
        metrics.Should().Contain("dotnet_gc_last_collection_heap_size_bytes").And.Contain("dotnet_process_memory_working_set_bytes");
    }

    [Fact]
    public async Task System_TellsWhereTheEmbeddedKafkaListens()
    {
        var system = await _admin.GetFromJsonAsync<JsonElement>("/api/v1/system");

        system.GetProperty("kafka").GetProperty("embedded").GetBoolean().Should().BeTrue();
        system.GetProperty("kafka").GetProperty("bootstrapServers").GetString().Should().MatchRegex(@"^127\.0\.0\.1:\d+");
        system.GetProperty("kafka").GetProperty("consumersEnabled").GetBoolean().Should().BeTrue();
    }
}
