using System.Globalization;
using System.Net;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Ledger.Api.Tests.Holds;

/// <summary>
/// A hold is expired from its <c>expiresAt</c> on, whether or not the expiry process has released it yet: a capture is then
/// refused. The ledger's clock is one the test moves, and the expiry process waits an hour between passes here, so that
/// the test, not the process, meets the expired hold first.
/// </summary>
public sealed class ExpiredCaptureTests(ExpiredCaptureFixture fixture) : IClassFixture<ExpiredCaptureFixture>
{
    [Fact]
    public async Task ACaptureFromTheExpiryOn_IsRefused_AndTheHoldStaysHeld()
    {
        var teller = fixture.Teller();
        var accountId = await teller.OpenFundedAccountAsync("100.00");
        var holdId = Guid.NewGuid();
        await PlaceAsync(teller, accountId, holdId, fixture.Clock.GetUtcNow().AddMinutes(1));

        fixture.Clock.Advance(TimeSpan.FromMinutes(1));
        using var response = await teller.CaptureRawAsync(accountId, holdId, null);

        var problem = await Teller.ExpectProblem(response, HttpStatusCode.Conflict, ProblemTypes.HoldExpired);
        problem.GetProperty("detail").GetString().Should().Contain(holdId.ToString());
        var account = await teller.GetAccountAsync(accountId);
        account.GetProperty("balance").GetRawText().Should().Be("100.00");
        account.GetProperty("held").GetRawText().Should().Be("30.00", "until it is released the hold still counts");
        (await teller.GetHoldAsync(accountId, holdId)).GetProperty("status").GetString().Should().Be("open");
    }

    [Fact]
    public async Task ACaptureJustBeforeTheExpiry_Passes()
    {
        var teller = fixture.Teller();
        var accountId = await teller.OpenFundedAccountAsync("100.00");
        var holdId = Guid.NewGuid();
        await PlaceAsync(teller, accountId, holdId, fixture.Clock.GetUtcNow().AddMinutes(1));

        fixture.Clock.Advance(TimeSpan.FromSeconds(59));
        var captured = await teller.CaptureAsync(accountId, holdId);

        captured.GetProperty("status").GetString().Should().Be("captured");
        captured.GetProperty("account").GetProperty("balance").GetRawText().Should().Be("70.00");
    }

    [Fact]
    public async Task AnExpiredHold_MayStillBeReleasedByAPerson()
    {
        var teller = fixture.Teller();
        var accountId = await teller.OpenFundedAccountAsync("100.00");
        var holdId = Guid.NewGuid();
        await PlaceAsync(teller, accountId, holdId, fixture.Clock.GetUtcNow().AddMinutes(1));

        fixture.Clock.Advance(TimeSpan.FromMinutes(2));
        var released = await teller.ReleaseAsync(accountId, holdId);

        released.GetProperty("releaseReason").GetString().Should().Be("released");
        released.GetProperty("account").GetProperty("available").GetRawText().Should().Be("100.00");
    }

    [Fact]
    public async Task AnExpiryThatIsNowOnTheLedgersClock_IsNotInTheFuture()
    {
        var teller = fixture.Teller();
        var accountId = await teller.OpenFundedAccountAsync("100.00");
        fixture.Clock.Advance(TimeSpan.FromMinutes(10));

        // Minutes ahead of the real clock, but the ledger's clock says it is past.
        using var response = await teller.PlaceHoldRawAsync(accountId, Teller.Json(new
        {
            amount = "1.00", expiresAt = Format(fixture.Clock.GetUtcNow().AddSeconds(-1)),
        }));

        await Teller.ExpectProblem(response, HttpStatusCode.UnprocessableEntity, ProblemTypes.ExpiryNotInFuture);
    }

    private static async Task PlaceAsync(Teller teller, Guid accountId, Guid holdId, DateTimeOffset expiresAt)
    {
        using var response = await teller.PlaceHoldRawAsync(accountId, Teller.Json(new { holdId, amount = "30.00", expiresAt = Format(expiresAt) }));
        await Teller.Expect(response, HttpStatusCode.Created);
    }

    private static string Format(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
}

/// <summary>An API and a database of their own, on a clock the tests move (it changes the ledger's time for everyone on it).</summary>
public sealed class ExpiredCaptureFixture : IDisposable
{
    public ExpiredCaptureFixture() =>
        Host = Api.WithWebHostBuilder(builder => builder
            .UseSetting("Holds:ExpiryPollInterval", "01:00:00")
            .ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock)));

    public LedgerApiFactory Api { get; } = new();

    public WebApplicationFactory<Program> Host { get; }

    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    public Teller Teller() => new(Host.CreateClient());

    public void Dispose()
    {
        Host.Dispose();
        Api.Dispose();
    }
}
