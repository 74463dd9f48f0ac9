using System.Globalization;
using System.Net;
using System.Text.Json;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Testing;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Ledger.Api.Tests.Audit;

/// <summary><c>GET /accounts/{id}?asOf=</c> and <c>?atVersion=</c>: the account as it was.</summary>
[Collection(ApiFixtureGroup.Name)]
public sealed class AsOfTests(LedgerApiFactory factory)
{
    public const string AccountNotYetCreated = "/problems/account-not-yet-created";

    private static readonly TimeSpan Microsecond = AuditTimes.Microsecond;

    private readonly Teller _teller = new(factory.CreateClient());

    private readonly Auditor _auditor = new(factory.CreateClient());

    private readonly LedgerWriter _writer = new(factory.Services.GetRequiredService<IDocumentStore>());

    /// <summary>Created, +100.00, −30.00, +12.50: four versions with balances 0, 100, 70, 82.50.</summary>
    private async Task<(Guid AccountId, List<JsonElement> History)> ArrangeAsync()
    {
        var accountId = await _teller.OpenAccountAsync("EUR", 0, "Ada Lovelace");
        await _teller.DepositAsync(accountId, "100.00");
        await _teller.WithdrawAsync(accountId, "30.00");
        await _teller.DepositAsync(accountId, "12.50");
        var history = await _auditor.HistoryAsync(accountId);
        history.Should().HaveCount(4);
        return (accountId, history);
    }

    private Task<JsonElement> AsOfAsync(Guid accountId, DateTimeOffset instant) =>
        _auditor.GetOkAsync($"/api/v1/accounts/{accountId}?asOf={AuditTimes.Query(instant)}");

    private Task<JsonElement> AtVersionAsync(Guid accountId, long version) =>
        _auditor.GetOkAsync($"/api/v1/accounts/{accountId}?atVersion={version}");

    /// <summary>The view must be the state right after <paramref name="entry"/>: its balance, version, sequence and time.</summary>
    private static void ShouldBeStateAfter(JsonElement view, JsonElement entry)
    {
        view.Version().Should().Be(entry.Version());
        view.Sequence().Should().Be(entry.Sequence(), "a read reports the global sequence of the last event it reflects");
        view.GetProperty("balance").GetDecimal().Should().Be(entry.GetProperty("balanceAfter").GetDecimal());
        view.GetProperty("updatedAt").GetDateTimeOffset().Should().Be(entry.OccurredAt());
    }

    [Fact]
    public async Task BetweenTwoEvents_EqualsStateAfterTheEarlier()
    {
        var (accountId, history) = await ArrangeAsync();

        for (var i = 0; i + 1 < history.Count; i++)
        {
            var earlier = history[i];
            var later = history[i + 1];
            later.OccurredAt().Should().BeAfter(earlier.OccurredAt() + Microsecond, "each event comes from its own HTTP request");
            foreach (var instant in new[] { earlier.OccurredAt() + Microsecond, later.OccurredAt() - Microsecond })
            {
                var view = await AsOfAsync(accountId, instant);

                ShouldBeStateAfter(view, earlier);
                view.GetRawText().Should().Be((await AtVersionAsync(accountId, earlier.Version())).GetRawText(),
                    "as of an instant and after a version are the same kind of question");
            }
        }
    }

    [Fact]
    public async Task AtTheInstantOfAnEvent_IncludesThatEvent()
    {
        var (accountId, history) = await ArrangeAsync();

        foreach (var entry in history)
        {
            ShouldBeStateAfter(await AsOfAsync(accountId, entry.OccurredAt()), entry);
        }
    }

    /// <summary>
    /// Between a hold and its capture the account held the money: the same balance, less available. After the capture the
    /// balance is lower by what was captured and nothing is held. Each view is the entry's state, as the account view shows it.
    /// </summary>
    [Fact]
    public async Task AroundAHold_TheViewShowsItHeld_ThenCaptured()
    {
        var (accountId, _) = await ArrangeAsync();
        await _writer.CaptureAsync(await _writer.PlaceHoldAsync(accountId, 40_00), 25_00);
        var history = await _auditor.HistoryAsync(accountId);
        var (placed, captured) = (history[4], history[5]);

        var held = await AsOfAsync(accountId, captured.OccurredAt() - Microsecond);
        var after = await AsOfAsync(accountId, captured.OccurredAt());

        ShouldBeStateAfter(held, placed);
        (held.GetProperty("balance").GetDecimal(), held.GetProperty("held").GetDecimal(), held.GetProperty("available").GetDecimal())
            .Should().Be((82.50m, 40m, 42.50m));
        ShouldBeStateAfter(after, captured);
        (after.GetProperty("balance").GetDecimal(), after.GetProperty("held").GetDecimal(), after.GetProperty("available").GetDecimal())
            .Should().Be((57.50m, 0m, 57.50m));
        after.GetRawText().Should().Be((await _teller.GetAccountAsync(accountId)).GetRawText(), "the capture is the last event");
        held.GetProperty("held").GetDecimal().Should().Be(placed.GetProperty("heldAfter").GetDecimal());
        held.GetProperty("available").GetDecimal().Should().Be(placed.GetProperty("availableAfter").GetDecimal());
    }

    [Fact]
    public async Task InstantWithAnOffset_MeansTheSameMoment()
    {
        var (accountId, history) = await ArrangeAsync();
        var instant = history[2].OccurredAt();
        var inTokyo = instant.ToOffset(TimeSpan.FromHours(9)).ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'+09:00'", CultureInfo.InvariantCulture);
        var inNewYork = instant.ToOffset(TimeSpan.FromHours(-5)).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'-05:00'", CultureInfo.InvariantCulture);

        foreach (var asOf in new[] { inTokyo, inNewYork, inTokyo.Replace("T", "t", StringComparison.Ordinal) })
        {
            ShouldBeStateAfter(await _auditor.GetOkAsync($"/api/v1/accounts/{accountId}?asOf={Uri.EscapeDataString(asOf)}"), history[2]);
        }
    }

    [Theory]
    [InlineData("atVersion=abc")]
    [InlineData("atVersion=1.5")]
    public async Task UnreadableAtVersion_IsABadRequestProblem(string query)
    {
        var (accountId, _) = await ArrangeAsync();

        using var response = await _auditor.GetAsync($"/api/v1/accounts/{accountId}?{query}");

        var problem = await Teller.Expect(response, HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json");
        problem.ShouldBeCompleteProblem(400);
    }

    [Fact]
    public async Task BeforeCreation_IsAccountNotYetCreated()
    {
        var (accountId, history) = await ArrangeAsync();

        foreach (var instant in new[] { history[0].OccurredAt() - Microsecond, new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero) })
        {
            var problem = await _auditor.ExpectProblemAsync($"/api/v1/accounts/{accountId}?asOf={AuditTimes.Query(instant)}",
                HttpStatusCode.NotFound, AccountNotYetCreated);
            problem.ShouldBeCompleteProblem(404);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("?asOf=2026-03-02T14:03:00Z")]
    [InlineData("?atVersion=1")]
    public async Task UnknownAccount_IsAccountNotFound(string query)
    {
        var problem = await _auditor.ExpectProblemAsync($"/api/v1/accounts/{Guid.NewGuid()}{query}", HttpStatusCode.NotFound, ProblemTypes.AccountNotFound);

        problem.ShouldBeCompleteProblem(404);
    }

    [Theory]
    [InlineData("9999-12-31T23:59:59Z")]
    [InlineData("2999-01-01T00:00:00.123456789+14:00")]
    public async Task FarFuture_EqualsCurrentState(string asOf)
    {
        var (accountId, history) = await ArrangeAsync();
        var current = await _teller.GetAccountAsync(accountId);

        var view = await _auditor.GetOkAsync($"/api/v1/accounts/{accountId}?asOf={Uri.EscapeDataString(asOf)}");

        view.GetRawText().Should().Be(current.GetRawText());
        ShouldBeStateAfter(view, history[^1]);
    }

    [Fact]
    public async Task AtEachVersion_EqualsStateAfterThatVersion()
    {
        var (accountId, history) = await ArrangeAsync();

        var balances = new List<decimal>();
        foreach (var entry in history)
        {
            var view = await AtVersionAsync(accountId, entry.Version());
            ShouldBeStateAfter(view, entry);
            view.GetProperty("accountId").GetGuid().Should().Be(accountId);
            view.GetProperty("owner").GetString().Should().Be("Ada Lovelace");
            balances.Add(view.GetProperty("balance").GetDecimal());
        }

        balances.Should().Equal(0m, 100m, 70m, 82.50m);
    }

    [Fact]
    public async Task AtVersionZeroNegativeOrBeyondCurrent_IsRejectedOnAtVersion()
    {
        var (accountId, history) = await ArrangeAsync();

        foreach (var version in new[] { 0, -1, history.Count + 1, long.MaxValue })
        {
            await _auditor.ExpectValidationErrorAsync(
                $"/api/v1/accounts/{accountId}?atVersion={version.ToString(CultureInfo.InvariantCulture)}", "atVersion");
        }
    }

    [Fact]
    public async Task AsOfAndAtVersionTogether_IsRejected()
    {
        var (accountId, _) = await ArrangeAsync();

        using var response = await _auditor.GetAsync($"/api/v1/accounts/{accountId}?asOf=2026-03-02T14:03:00Z&atVersion=1");

        var problem = await Teller.ExpectProblem(response, HttpStatusCode.BadRequest, ProblemTypes.Validation);
        var errors = problem.GetProperty("errors");
        (errors.TryGetProperty("asOf", out _) || errors.TryGetProperty("atVersion", out _)).Should().BeTrue(
            "the problem names one of the two parameters; got {0}", errors);
    }

    [Theory]
    [InlineData("asOf=2026-03-02T14:03:00Z&atVersion=1", "Give either 'asOf' or 'atVersion', not both.")]
    [InlineData("asOf=yesterday&atVersion=1", "'asOf' must be an RFC 3339 instant with an offset, such as 2026-03-02T14:03:00Z.")]
    [InlineData("asOf=2026-02-30T14:03:00Z", "'asOf' is not a valid date and time.")]
    public async Task InvalidAsOf_IsOneMessageOnAsOf(string query, string message)
    {
        var (accountId, _) = await ArrangeAsync();

        var problem = await _auditor.ExpectValidationErrorAsync($"/api/v1/accounts/{accountId}?{query}", "asOf");

        problem.GetProperty("errors").Deserialize<Dictionary<string, string[]>>().Should()
            .BeEquivalentTo(new Dictionary<string, string[]> { ["asOf"] = [message] });
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("2026-03-02 14:03")]
    [InlineData("2026-03-02T14:03:00")]
    [InlineData("2026-03-02")]
    [InlineData("2026-13-02T14:03:00Z")]
    [InlineData("2026-03-02T14:03:00+0100")]
    [InlineData("1772460180")]
    public async Task MalformedAsOf_IsRejectedOnAsOf(string asOf)
    {
        var (accountId, _) = await ArrangeAsync();

        await _auditor.ExpectValidationErrorAsync($"/api/v1/accounts/{accountId}?asOf={Uri.EscapeDataString(asOf)}", "asOf");
    }

    [Fact]
    public async Task EveryRead_CarriesVersionAndSequence()
    {
        var (accountId, history) = await ArrangeAsync();

        var reads = new[]
        {
            (await _teller.GetAccountAsync(accountId), history[^1]),
            (await AsOfAsync(accountId, history[1].OccurredAt()), history[1]),
            (await AtVersionAsync(accountId, 3), history[2]),
        };

        foreach (var (view, entry) in reads)
        {
            view.GetProperty("version").ValueKind.Should().Be(JsonValueKind.Number);
            view.GetProperty("sequence").ValueKind.Should().Be(JsonValueKind.Number);
            ShouldBeStateAfter(view, entry);
        }

        history.Select(entry => entry.Sequence()).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
    }

    [Fact]
    public async Task ThreeHundredDeposits_AsOfChosenInstantsSumsTheDepositsUpToThem()
    {
        var accountId = await _teller.OpenAccountAsync("EUR", 0, "Many Events");
        // Deposit i (version i + 2) is i + 1 cents plus i % 7 euros: every prefix sum is distinct.
        var amountsMinor = Enumerable.Range(0, 300).Select(i => (long)(i + 1) + (i % 7 * 100)).ToList();
        foreach (var amountMinor in amountsMinor)
        {
            await _teller.DepositAsync(accountId, (amountMinor / 100m).ToString("0.00", CultureInfo.InvariantCulture));
        }

        var history = await _auditor.HistoryAsync(accountId, limit: 1000);
        history.Should().HaveCount(301);

        foreach (var version in new[] { 1, 2, 3, 77, 150, 151, 299, 300, 301 })
        {
            var at = history[version - 1].OccurredAt();
            foreach (var instant in new[] { at, at + Microsecond, at - Microsecond })
            {
                // The last version at or before the instant, from the recorded times; its balance from the amounts sent.
                var expectedVersion = history.Count(entry => entry.OccurredAt() <= instant);
                if (expectedVersion == 0)
                {
                    await _auditor.ExpectProblemAsync($"/api/v1/accounts/{accountId}?asOf={AuditTimes.Query(instant)}",
                        HttpStatusCode.NotFound, AccountNotYetCreated);
                    continue;
                }

                var view = await AsOfAsync(accountId, instant);

                view.Version().Should().Be(expectedVersion, "as of {0}", AuditTimes.Format(instant));
                view.GetProperty("balance").GetDecimal().Should().Be(amountsMinor.Take(expectedVersion - 1).Sum() / 100m);
                view.Sequence().Should().Be(history[expectedVersion - 1].Sequence());
            }
        }
    }
}
