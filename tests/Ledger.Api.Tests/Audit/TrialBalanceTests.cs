using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Testing;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Ledger.Api.Tests.Audit;

/// <summary>
/// <c>GET /ledger/balances?asOf=</c>. The database is shared with every other test class, so exact totals are asserted
/// only for currencies that no other test uses (TTD, ISK, SEK); the identity balance = deposited − withdrawn for all. The read under
/// concurrent writes is in <see cref="TrialBalanceUnderLoadTests"/>.
/// </summary>
[Collection(ApiFixtureGroup.Name)]
public sealed class TrialBalanceTests(LedgerApiFactory factory)
{
    private static readonly TimeSpan Microsecond = AuditTimes.Microsecond;

    private readonly Teller _teller = new(factory.CreateClient());

    private readonly Auditor _auditor = new(factory.CreateClient());

    private readonly LedgerWriter _writer = new(factory.Services.GetRequiredService<IDocumentStore>());

    internal static JsonElement? Totals(JsonElement trial, string currency) =>
        trial.GetProperty("currencies").EnumerateArray().Where(totals => totals.GetProperty("currency").GetString() == currency)
            .Select(totals => (JsonElement?)totals).SingleOrDefault();

    internal static (long Accounts, decimal Balance, decimal Deposited, decimal Withdrawn) Figures(JsonElement totals) =>
        (totals.GetProperty("accounts").GetInt64(), totals.GetProperty("totalBalance").GetDecimal(),
            totals.GetProperty("totalDeposited").GetDecimal(), totals.GetProperty("totalWithdrawn").GetDecimal());

    /// <summary>Every currency agrees with itself and says so, and the whole trial balance says so.</summary>
    internal static void ShouldBeBalanced(JsonElement trial)
    {
        trial.GetProperty("balanced").GetBoolean().Should().BeTrue("got {0}", trial);
        foreach (var totals in trial.GetProperty("currencies").EnumerateArray())
        {
            var (_, balance, deposited, withdrawn) = Figures(totals);
            balance.Should().Be(deposited - withdrawn, "for {0} the balances must equal deposits minus withdrawals", totals);
            totals.GetProperty("balanced").GetBoolean().Should().BeTrue();
        }
    }

    [Fact]
    public async Task KnownArrangement_TotalsPerCurrencyAreExact()
    {
        var a = await _teller.OpenAccountAsync("TTD");
        var b = await _teller.OpenAccountAsync("TTD");
        var c = await _teller.OpenAccountAsync("TTD", 10m);
        await _teller.DepositAsync(a, "100.00");
        await _teller.DepositAsync(b, "50.25");
        await _teller.WithdrawAsync(a, "20.00");
        await _teller.TransferAsync(a, b, "30.00", null);
        await _teller.WithdrawAsync(c, "5.00");
        var historyOfB = await _auditor.HistoryAsync(b);

        var now = await _auditor.BalancesAsync();
        var afterDeposits = await _auditor.BalancesAsync(historyOfB[1].OccurredAt());

        ShouldBeBalanced(now);
        Figures(Totals(now, "TTD")!.Value).Should().Be((3L, 125.25m, 150.25m, 25.00m));
        Figures(Totals(afterDeposits, "TTD")!.Value).Should().Be((3L, 150.25m, 150.25m, 0m), "as of B's deposit, before anything was taken out");
        ShouldBeBalanced(afterDeposits);
        afterDeposits.GetProperty("sequence").GetInt64().Should().BeGreaterThanOrEqualTo(historyOfB[1].Sequence());
        now.GetProperty("sequence").GetInt64().Should().BeGreaterThanOrEqualTo((await _auditor.HistoryAsync(c))[^1].Sequence());
        now.GetProperty("asOf").GetString().Should().MatchRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$");
        (await _teller.BalanceAsync(a) + await _teller.BalanceAsync(b) + await _teller.BalanceAsync(c)).Should().Be(125.25m);
    }

    /// <summary>
    /// A hold captured out of the ledger is money withdrawn; one captured to another account moves money between accounts
    /// and nets to zero, as a transfer does; an open hold moves nothing yet. The trial balance stays balanced throughout.
    /// </summary>
    [Fact]
    public async Task CapturedHolds_OutOfTheLedgerAreWithdrawn_ToAnAccountNetToZero()
    {
        var a = await _teller.OpenFundedAccountAsync("100.00", "SEK");
        var b = await _teller.OpenFundedAccountAsync("50.00", "SEK");
        await _writer.CaptureAsync(await _writer.PlaceHoldAsync(a, 30_00), 20_00, b);
        var held = await _writer.PlaceHoldAsync(b, 40_00);
        var beforeCapture = (await _auditor.HistoryAsync(b))[^1].OccurredAt();
        await _writer.CaptureAsync(held, 25_00);
        await _writer.PlaceHoldAsync(a, 10_00);

        var now = await _auditor.BalancesAsync();
        var withTheHoldOpen = await _auditor.BalancesAsync(beforeCapture);

        ShouldBeBalanced(now);
        Figures(Totals(now, "SEK")!.Value).Should().Be((2L, 125m, 150m, 25m), "80.00 + 45.00; only the capture out of the ledger is withdrawn");
        ShouldBeBalanced(withTheHoldOpen);
        Figures(Totals(withTheHoldOpen, "SEK")!.Value).Should().Be((2L, 150m, 150m, 0m), "a hold moves no money until it is captured");
        (await _teller.BalanceAsync(a) + await _teller.BalanceAsync(b)).Should().Be(125m);
    }

    [Fact]
    public async Task BeforeTheFirstEventOfACurrency_ThatCurrencyIsAbsentOrZero()
    {
        var accountId = await _teller.OpenAccountAsync("ISK");
        await _teller.DepositAsync(accountId, "700");
        var history = await _auditor.HistoryAsync(accountId);

        var before = await _auditor.BalancesAsync(history[0].OccurredAt() - Microsecond);
        var atCreation = await _auditor.BalancesAsync(history[0].OccurredAt());
        var atDeposit = await _auditor.BalancesAsync(history[1].OccurredAt());

        if (Totals(before, "ISK") is { } totals)
        {
            Figures(totals).Should().Be((0L, 0m, 0m, 0m));
        }

        Figures(Totals(atCreation, "ISK")!.Value).Should().Be((1L, 0m, 0m, 0m));
        Figures(Totals(atDeposit, "ISK")!.Value).Should().Be((1L, 700m, 700m, 0m));
        ShouldBeBalanced(before);
        ShouldBeBalanced(atDeposit);
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("2026-03-02T14:03:00")]
    [InlineData("2026-03-02 14:03:00Z")]
    public async Task MalformedAsOf_IsRejectedOnAsOf(string asOf)
    {
        await _auditor.ExpectValidationErrorAsync($"/api/v1/ledger/balances?asOf={Uri.EscapeDataString(asOf)}", "asOf");
    }
}
