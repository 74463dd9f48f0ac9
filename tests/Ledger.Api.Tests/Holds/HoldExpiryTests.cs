using System.Net;
using System.Text.Json;
using FluentAssertions;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Ledger.Api.Tests.Holds;

/// <summary>
/// The expiry of holds, on a clock the test moves: a hold is released with reason expired once the ledger's clock passes
/// its <c>expiresAt</c>, not before, and exactly once although two nodes on the database both run the expiry process.
/// </summary>
[Collection(HoldExpiryGroup.Name)]
public sealed class HoldExpiryTests(HoldExpiryFixture fixture)
{
    [Fact]
    public async Task HoldPastItsExpiry_IsReleasedAsExpired_OnceTheClockPassesIt_AndAHoldCapturedBeforeIsLeftAlone()
    {
        var teller = new Teller(fixture.NodeA.CreateClient());
        var account = await teller.OpenFundedAccountAsync(100m);
        var expiresAt = fixture.Clock.GetUtcNow().AddHours(1);
        var expiring = await PlaceAsync(teller, account, 30m, expiresAt);
        var captured = await PlaceAsync(teller, account, 20m, expiresAt);
        await Teller.Expect(await teller.PostJsonAsync($"{Teller.AccountsPath}/{account}/holds/{captured}/capture", "{}"), HttpStatusCode.OK);

        // Every pass of the expiry process until now found nothing due: the clock has not reached the expiry.
        fixture.Clock.Advance(TimeSpan.FromMinutes(59));
        await PassesAsync();
        (await HoldAsync(teller, account, expiring)).GetProperty("status").GetString().Should().Be("open");

        fixture.Clock.Advance(TimeSpan.FromMinutes(1));
        var released = await Eventually.ReachesAsync(() => HoldAsync(teller, account, expiring),
            hold => hold.GetProperty("status").GetString() == "released", "the hold is released once the clock reaches its expiry");

        released.GetProperty("releaseReason").GetString().Should().Be("expired");
        var view = await teller.GetAccountAsync(account);
        view.GetProperty("balance").GetDecimal().Should().Be(80.00m);
        view.GetProperty("held").GetDecimal().Should().Be(0m);
        view.GetProperty("available").GetDecimal().Should().Be(80.00m);
        (await EventsAsync(account, "hold_released")).Should().ContainSingle()
            .Which.Should().Be((expiring, "expired", "hold-expiry", "system"));
        (await HoldAsync(teller, account, captured)).GetProperty("status").GetString().Should().Be("captured");
    }

    [Fact]
    public async Task ManyHoldsDueAtOnce_OnTwoNodes_AreEachReleasedExactlyOnce()
    {
        var teller = new Teller(fixture.NodeA.CreateClient());
        var other = new Teller(fixture.NodeB.CreateClient());
        var accounts = new[] { await teller.OpenFundedAccountAsync(1000m), await other.OpenFundedAccountAsync(1000m) };
        var expiresAt = fixture.Clock.GetUtcNow().AddMinutes(10);
        var holds = new List<(Guid Account, Guid Hold)>();
        for (var i = 0; i < 40; i++)
        {
            var account = accounts[i % 2];
            holds.Add((account, await PlaceAsync(i % 2 == 0 ? teller : other, account, 1m, expiresAt)));
        }

        fixture.Clock.Advance(TimeSpan.FromMinutes(10));

        await Eventually.HoldsAsync(async () => await OpenHoldsAsync() == 0, "every hold due is released");
        await PassesAsync();
        var releases = (await EventsAsync(accounts[0], "hold_released")).Concat(await EventsAsync(accounts[1], "hold_released")).ToList();
        releases.Select(release => release.HoldId).Should().BeEquivalentTo(holds.Select(hold => hold.Hold), "each hold is released exactly once");
        releases.Should().OnlyContain(release => release.Reason == "expired" && release.Subject == "hold-expiry");
        foreach (var account in accounts)
        {
            (await teller.GetAccountAsync(account)).GetProperty("available").GetDecimal().Should().Be(1000.00m);
        }
    }

    [Theory]
    [InlineData("ExpiryPollInterval", "00:00:00", "Holds:ExpiryPollInterval must be above zero and at most 01:00:00, not 00:00:00.")]
    [InlineData("ExpiryPollInterval", "02:00:00", "Holds:ExpiryPollInterval must be above zero and at most 01:00:00, not 02:00:00.")]
    [InlineData("ExpiryBatchMax", "0", "Holds:ExpiryBatchMax must be 1 to 10000, not 0.")]
    public void InvalidSettings_AreRefusedAtStartup_NamingTheSetting(string setting, string value, string failure)
    {
        using var host = fixture.Api.WithWebHostBuilder(builder => builder.UseSetting($"Holds:{setting}", value));

        var act = () => host.CreateClient();

        act.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().Which.Failures.Should().Equal(failure);
    }

    private async Task<long> OpenHoldsAsync() =>
        await Sql.ScalarAsync<long>(fixture.Api.ConnectionString,
            "select count(*) from ledger.mt_doc_hold where data ->> 'status' = 'Open' and data ->> 'expiresAt' is not null");

    /// <summary>Gives the expiry process a few passes (it polls every 50 ms here) on the clock as it is.</summary>
    private static Task PassesAsync() => Task.Delay(TimeSpan.FromMilliseconds(500));

    private static async Task<Guid> PlaceAsync(Teller teller, Guid account, decimal amount, DateTimeOffset expiresAt)
    {
        var body = Teller.Json(new { amount, reference = "card", expiresAt = expiresAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture) });
        var hold = await Teller.Expect(await teller.PostJsonAsync($"{Teller.AccountsPath}/{account}/holds", body), HttpStatusCode.Created);
        return hold.GetProperty("holdId").GetGuid();
    }

    private static async Task<JsonElement> HoldAsync(Teller teller, Guid account, Guid hold) =>
        await Teller.Expect(await teller.GetAsync($"{Teller.AccountsPath}/{account}/holds/{hold}"), HttpStatusCode.OK);

    private async Task<List<(Guid HoldId, string Reason, string Subject, string Role)>> EventsAsync(Guid account, string type)
    {
        await using var connection = new Npgsql.NpgsqlConnection(fixture.Api.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "select (data ->> 'holdId')::uuid, data ->> 'reason', user_name, headers ->> 'actorRole' from ledger.mt_events " +
            "where stream_id = $1 and type = $2 order by version", connection);
        command.Parameters.AddWithValue(account);
        command.Parameters.AddWithValue(type);
        var rows = new List<(Guid, string, string, string)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
        }

        return rows;
    }
}

/// <summary>Two API nodes on one database of their own, sharing a clock the tests move; the expiry process polls every 50 ms.</summary>
public sealed class HoldExpiryFixture : IDisposable
{
    public HoldExpiryFixture()
    {
        NodeA = Node("node-a");
        NodeB = Node("node-b");
    }

    public LedgerApiFactory Api { get; } = new();

    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    public WebApplicationFactory<Program> NodeA { get; }

    public WebApplicationFactory<Program> NodeB { get; }

    public void Dispose()
    {
        NodeB.Dispose();
        NodeA.Dispose();
        Api.Dispose();
    }

    private WebApplicationFactory<Program> Node(string name) =>
        Api.WithWebHostBuilder(builder => builder
            .UseSetting("Ledger:NodeName", name)
            .UseSetting("Projections:RunAsync", "false")
            .UseSetting("Holds:ExpiryPollInterval", "00:00:00.05")
            .ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock)));
}

/// <summary>The hold expiry tests move a clock their two nodes share: one class, alone on its database.</summary>
[CollectionDefinition(Name)]
public sealed class HoldExpiryGroup : ICollectionFixture<HoldExpiryFixture>
{
    public const string Name = "hold-expiry";
}
