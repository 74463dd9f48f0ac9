using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Contracts;
using Ledger.Domain.Accounts;
using Ledger.EventStore;
using Ledger.EventStore.Audit;
using Ledger.Testing;

namespace Ledger.Api.Tests.Audit;

/// <summary>Who did it: every event records the authenticated subject and role that appended it, and auditors' reads show it.</summary>
[Collection(ApiFixtureGroup.Name)]
public sealed class ActorTests(LedgerApiFactory factory)
{
    private const string Clerk = "clerk-ada-7";

    private readonly Teller _teller = new(factory.CreateClient());

    private readonly Auditor _auditor = new(factory.CreateClient());

    private static (string Subject, string Role) ActorOf(JsonElement entry)
    {
        entry.TryGetProperty("actor", out var actor).Should().BeTrue("every new entry has an actor: {0}", entry);
        return (actor.GetProperty("subject").GetString()!, actor.GetProperty("role").GetString()!);
    }

    [Fact]
    public async Task DepositByAClerk_ShowsTheClerkAndTheRoleInHistoryStatementAndCsv()
    {
        var accountId = await _teller.OpenAccountAsync();
        var clerk = new Teller(factory.CreateClient());
        clerk.Http.As(Roles.Teller, Clerk);
        await clerk.DepositAsync(accountId, "12.00");

        var history = await _auditor.HistoryAsync(accountId);
        ActorOf(history[0]).Should().Be(("test-teller", Roles.Teller));
        ActorOf(history[1]).Should().Be((Clerk, Roles.Teller));

        var statement = await _auditor.GetOkAsync($"/api/v1/accounts/{accountId}/statement");
        var entries = statement.GetProperty("entries").EnumerateArray().ToList();
        ActorOf(entries[^1]).Should().Be((Clerk, Roles.Teller));

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/api/v1/accounts/{accountId}/statement", UriKind.Relative));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        using var response = await _auditor.Http.SendAsync(request);
        var csv = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, csv);
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        // The actor's two columns follow the hash; held and available come last.
        lines[0].Should().EndWith(",hash,actorSubject,actorRole,heldAfter,availableAfter");
        lines[2].Should().StartWith("AccountCreated,").And.EndWith(",test-teller,teller,0.00,0.00");
        lines[3].Should().StartWith("MoneyDeposited,").And.EndWith($",{Clerk},teller,0.00,12.00");
    }

    [Fact]
    public async Task ActorOfTheEvent_IsStoredAsMartensUserNameAndTheRoleHeader()
    {
        var accountId = await _teller.OpenAccountAsync();
        var clerk = new Teller(factory.CreateClient());
        clerk.Http.As(Roles.Teller, Clerk);
        await clerk.DepositAsync(accountId, "1.00");

        var stored = await Sql.ScalarAsync<string>(factory.ConnectionString,
            "select user_name || '/' || (headers ->> 'actorRole') from ledger.mt_events where stream_id = $1 and version = 2", accountId);

        stored.Should().Be($"{Clerk}/{Roles.Teller}");
    }

    [Fact]
    public async Task TokenWhoseSubjectIsNoIdentifier_IsUnauthenticated()
    {
        var accountId = await _teller.OpenAccountAsync();
        var unnamed = new Teller(factory.CreateClient());
        unnamed.Http.As(Roles.Teller, new string('x', Actor.LengthMax + 1));

        using var response = await unnamed.DepositRawAsync(accountId, Teller.Json(new { amount = "1.00" }));

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await _auditor.HistoryAsync(accountId)).Should().ContainSingle("nothing was appended");
    }

    /// <summary>docs/audit.md's example (version 1 of Ada's account, appended before actors were recorded).</summary>
    [Fact]
    public void LinkWithoutActor_HashesExactlyAsBeforeActorsWereRecorded_AndAnActorIsChainedBetweenAccountIdAndData()
    {
        var accountId = Guid.Parse("7d0c8a52-3b1e-4c55-9a51-0a1e2f3b4c01");
        var created = new AccountCreated(accountId, "Ada Lovelace", "EUR", 10000,
            DateTimeOffset.Parse("2026-11-23T18:49:47.5640520Z", CultureInfo.InvariantCulture));
        var link = new HashChain.Link(accountId, 1, 1, Guid.Parse("01a20a1c-5f9e-7f4a-9e3b-5b0a7c2d1e10"), created);

        HashChain.Canonical(link).Should().Be(
            """{"accountId":"7d0c8a52-3b1e-4c55-9a51-0a1e2f3b4c01","data":{"accountId":"7d0c8a52-3b1e-4c55-9a51-0a1e2f3b4c01","currency":"EUR","occurredAt":"2026-11-23T18:49:47.5640520Z","overdraftLimitMinor":10000,"owner":"Ada Lovelace"},"eventId":"01a20a1c-5f9e-7f4a-9e3b-5b0a7c2d1e10","sequence":1,"type":"AccountCreated","version":1}""");
        HashChain.Canonical(link with { Actor = new Actor("ada", "teller") }).Should().StartWith(
            """{"accountId":"7d0c8a52-3b1e-4c55-9a51-0a1e2f3b4c01","actor":{"role":"teller","subject":"ada"},"data":{""");
    }
}
