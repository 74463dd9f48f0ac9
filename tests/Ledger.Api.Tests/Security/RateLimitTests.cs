using System.Net;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Contracts;
using Ledger.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Ledger.Api.Tests.Security;

/// <summary>
/// Per-client rate limits, on a host of their own with tiny limits and an hour-long window (so nothing replenishes during a
/// test): the client over its limit gets a 429 problem with Retry-After and its command has no effect; another subject is
/// not limited.
/// </summary>
[Collection(ApiFixtureGroup.Name)]
public sealed class RateLimitTests(LedgerApiFactory factory)
{
    private const string RateLimited = "/problems/rate-limited";

    private WebApplicationFactory<Program> Limited(int commands, int expensive) => factory.WithWebHostBuilder(builder => builder
        .UseSetting("RateLimits:Commands:PermitLimit", commands.ToString(System.Globalization.CultureInfo.InvariantCulture))
        .UseSetting("RateLimits:Commands:Window", "01:00:00")
        .UseSetting("RateLimits:Expensive:PermitLimit", expensive.ToString(System.Globalization.CultureInfo.InvariantCulture))
        .UseSetting("RateLimits:Expensive:Window", "01:00:00"));

    private static Teller TellerOf(WebApplicationFactory<Program> host, string subject)
    {
        var teller = new Teller(host.CreateClient());
        teller.Http.As(Roles.Teller, subject);
        return teller;
    }

    private static Auditor AuditorOf(WebApplicationFactory<Program> host, string subject)
    {
        var auditor = new Auditor(host.CreateClient());
        auditor.Http.As(Roles.Auditor, subject);
        return auditor;
    }

    private static async Task ExpectRateLimited(HttpResponseMessage response)
    {
        var problem = await Teller.ExpectProblem(response, HttpStatusCode.TooManyRequests, RateLimited);
        problem.ShouldBeCompleteProblem(429);
        response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json");
        response.Headers.RetryAfter?.Delta.Should().NotBeNull("a 429 says when to come back");
        response.Headers.RetryAfter!.Delta!.Value.Should().BePositive().And.BeLessThanOrEqualTo(TimeSpan.FromHours(1));
    }

    [Fact]
    public async Task CommandsOverTheLimit_Are429WithRetryAfter_HaveNoEffect_AndDoNotLimitAnotherClient()
    {
        using var host = Limited(commands: 3, expensive: 100);
        var ada = TellerOf(host, $"ada-{Guid.NewGuid()}");
        var grace = TellerOf(host, $"grace-{Guid.NewGuid()}");
        var accountId = await ada.OpenFundedAccountAsync("10.00");
        await ada.DepositAsync(accountId, "1.00");

        using var refused = await ada.DepositRawAsync(accountId, """{"amount":"5.00"}""");
        using var refusedTransfer = await ada.TransferRawAsync(new { fromAccountId = accountId, toAccountId = Guid.NewGuid(), amount = "1" });

        await ExpectRateLimited(refused);
        await ExpectRateLimited(refusedTransfer);
        (await ada.StateAsync(accountId)).Should().Be(("11.00", 3L), "a refused command has no effect, and reads are not limited");
        await grace.DepositAsync(accountId, "2.00");
        (await grace.StateAsync(accountId)).Should().Be(("13.00", 4L), "another client has its own limit");
    }

    [Fact]
    public async Task StatementsOverTheStricterLimit_Are429_PerClient()
    {
        using var host = Limited(commands: 100, expensive: 1);
        var accountId = await TellerOf(host, $"teller-{Guid.NewGuid()}").OpenFundedAccountAsync("10.00");
        var first = AuditorOf(host, $"auditor-{Guid.NewGuid()}");
        var second = AuditorOf(host, $"auditor-{Guid.NewGuid()}");
        var statement = $"/api/v1/accounts/{accountId}/statement";

        using var allowed = await first.GetAsync(statement);
        using var refused = await first.GetAsync(statement);
        using var integrity = await first.GetAsync("/api/v1/ledger/integrity");
        using var other = await second.GetAsync(statement);

        allowed.StatusCode.Should().Be(HttpStatusCode.OK);
        await ExpectRateLimited(refused);
        await ExpectRateLimited(integrity);
        other.StatusCode.Should().Be(HttpStatusCode.OK, "another client has its own limit");
        using var history = await first.GetAsync($"/api/v1/accounts/{accountId}/history");
        history.StatusCode.Should().Be(HttpStatusCode.OK, "history is not an expensive endpoint");
    }

    [Theory]
    [InlineData("RateLimits:Commands:PermitLimit", "0")]
    [InlineData("RateLimits:Expensive:Window", "00:00:00")]
    public void InvalidLimits_AreRefusedAtStartup(string setting, string value)
    {
        using var host = factory.WithWebHostBuilder(builder => builder.UseSetting(setting, value));

        var act = () => host.CreateClient();

        act.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().WithMessage("*RateLimits*");
    }
}
