using System.Net;
using Ledger.Api.Infrastructure;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Ledger.Api.Tests.Transfers;

/// <summary>
/// A request that outlives its idempotency lease must not commit, and no command may run as long as a lease: these tests
/// hold account rows locked from a connection of their own, so they get a database and hosts of their own.
/// </summary>
public sealed class IdempotencyLeaseTests(LeaseFixture fixture) : IClassFixture<LeaseFixture>
{
    private const string KeyHeader = "Idempotency-Key";

    [Fact]
    public async Task RetryAfterTheLeaseRanOut_TakesOverAndTheLateFirstAttemptCannotCommit()
    {
        var teller = new Teller(fixture.Fenced.CreateClient());
        var (x, y) = await LeaseFixture.OpenFundedPairAsync(teller);
        var key = (KeyHeader, $"lease-{Guid.NewGuid():N}");
        var body = $$"""{ "fromAccountId": "{{x}}", "toAccountId": "{{y}}", "amount": "10.00" }""";

        Task<HttpResponseMessage> first, retry;
        await using (await fixture.LockStreamAsync(x.CompareTo(y) < 0 ? x : y))
        {
            first = teller.PostJsonAsync("/api/v1/transfers", body, key);
            await fixture.WaitForLockWaitersAsync(1);
            fixture.Clock.Advance(IdempotencyLeaseDefaults.Lease + TimeSpan.FromSeconds(1));
            retry = teller.PostJsonAsync("/api/v1/transfers", body, key);
            await fixture.WaitForLockWaitersAsync(2);
        }

        using var firstResponse = await first;
        using var retryResponse = await retry;
        var answers = new[] { firstResponse, retryResponse };
        answers.Select(response => response.StatusCode).Should().BeEquivalentTo([HttpStatusCode.Created, HttpStatusCode.Conflict],
            "exactly one attempt may move the money; the one that lost the lease is told so");
        var created = await Teller.Expect(answers.Single(response => response.StatusCode == HttpStatusCode.Created), HttpStatusCode.Created);
        await Teller.ExpectProblem(answers.Single(response => response.StatusCode == HttpStatusCode.Conflict), HttpStatusCode.Conflict,
            "/problems/idempotency-key-in-flight");
        using var replay = await teller.PostJsonAsync("/api/v1/transfers", body, key);
        (await Teller.Expect(replay, HttpStatusCode.Created)).GetProperty("transferId").GetGuid()
            .Should().Be(created.GetProperty("transferId").GetGuid());
        (await teller.BalanceAsync(x)).Should().Be(90.00m);
        (await teller.BalanceAsync(y)).Should().Be(110.00m);
    }

    [Fact]
    public async Task LockHeldPastTheCommandTimeLimit_IsBusyWithRetryAfter_AndTheKeyRunsAgainOnRetry()
    {
        var teller = new Teller(fixture.TimeLimited.CreateClient());
        var (x, y) = await LeaseFixture.OpenFundedPairAsync(teller);
        var key = (KeyHeader, $"limit-{Guid.NewGuid():N}");
        var body = $$"""{ "fromAccountId": "{{x}}", "toAccountId": "{{y}}", "amount": "10.00" }""";

        Task<HttpResponseMessage> stuck;
        await using (await fixture.LockStreamAsync(x.CompareTo(y) < 0 ? y : x))
        {
            stuck = teller.PostJsonAsync("/api/v1/transfers", body, key);
            // Well past the host's one-second limit; without a limit the request would simply wait for the lock.
            await Task.WhenAny(stuck, Task.Delay(TimeSpan.FromSeconds(5)));
        }

        using var stuckResponse = await stuck;
        await Teller.ExpectProblem(stuckResponse, HttpStatusCode.ServiceUnavailable, "/problems/busy");
        stuckResponse.Headers.RetryAfter.Should().NotBeNull("every 503 says when to come back");
        // The retry runs under the same one-second limit: on a loaded machine it may itself be busy, and is retried as a client
        // following Retry-After would; what matters is that it runs anew once the lock is gone.
        using var retry = await Eventually.FoundAsync(async () =>
        {
            var response = await teller.PostJsonAsync("/api/v1/transfers", body, key);
            await Contention.ShouldBeExpectedOrBusyAsync(response, [HttpStatusCode.Created]);
            if (response.StatusCode == HttpStatusCode.Created)
            {
                return response;
            }

            response.Dispose();
            return null;
        }, "the retry to be served once the lock is released");
        retry.Headers.Contains("Idempotency-Replayed").Should().BeFalse("the timed-out attempt had no effect and freed its key");
        (await teller.BalanceAsync(x)).Should().Be(90.00m);
        (await teller.BalanceAsync(y)).Should().Be(110.00m);
    }

    [Fact]
    public void TimeLimit_NotWellBelowTheLease_IsRefusedAtStartup()
    {
        using var tooLong = fixture.Api.WithWebHostBuilder(builder => builder.UseSetting("Commands:TimeLimit", "00:00:45"));

        var act = () => tooLong.CreateClient();

        act.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().WithMessage("*half*Idempotency:Lease*");
    }
}

/// <summary>The lease the API is configured with in these hosts (the default).</summary>
internal static class IdempotencyLeaseDefaults
{
    public static readonly TimeSpan Lease = new IdempotencyOptions().Lease;
}

/// <summary>
/// A database of its own with two hosts on it: one with a clock the test moves (leases run out without waiting), one with a
/// one-second command time limit.
/// </summary>
public sealed class LeaseFixture : IDisposable
{
    public LeaseFixture()
    {
        Fenced = Api.WithWebHostBuilder(builder => builder
            .UseSetting("Projections:RunAsync", "false")
            .ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock)));
        TimeLimited = Api.WithWebHostBuilder(builder => builder
            .UseSetting("Projections:RunAsync", "false")
            .UseSetting("Commands:TimeLimit", "00:00:01"));
    }

    public LedgerApiFactory Api { get; } = new();

    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    public WebApplicationFactory<Program> Fenced { get; }

    public WebApplicationFactory<Program> TimeLimited { get; }

    public void Dispose()
    {
        Fenced.Dispose();
        TimeLimited.Dispose();
        Api.Dispose();
    }

    public static async Task<(Guid X, Guid Y)> OpenFundedPairAsync(Teller teller)
    {
        var x = await teller.OpenAccountAsync();
        var y = await teller.OpenAccountAsync();
        await teller.DepositAsync(x, "100.00");
        await teller.DepositAsync(y, "100.00");
        return (x, y);
    }

    /// <summary>Waits until this many sessions of the database wait for a lock.</summary>
    public Task WaitForLockWaitersAsync(int count) => LockWaiters.WaitForAsync(Api.ConnectionString, count);

    /// <summary>Holds the account's stream row locked, as a long statement of other work would, until disposed.</summary>
    public async Task<IAsyncDisposable> LockStreamAsync(Guid accountId)
    {
        var connection = new NpgsqlConnection(Api.ConnectionString);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using var select = new NpgsqlCommand("select 1 from ledger.mt_streams where id = $1 for update", connection, transaction);
        select.Parameters.Add(new NpgsqlParameter { Value = accountId });
        (await select.ExecuteScalarAsync()).Should().NotBeNull("the account's stream exists");
        return connection;
    }
}
