using Ledger.Fraud;
using Ledger.Testing;
using Npgsql;

namespace Ledger.Messaging.Tests.Consumers.Fraud;

/// <summary>The store behind <c>GET /fraud/alerts</c> and the consumer's idempotent writes, against a fresh database.</summary>
public sealed class FraudStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 14, 0, 0, TimeSpan.Zero);

    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(PostgresServer.CreateDatabase());
    private readonly Guid _account = Guid.NewGuid();
    private readonly Guid _otherAccount = Guid.NewGuid();
    private FraudStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = new FraudStore(_dataSource);
        await _store.CreateTablesAsync(CancellationToken.None);
        await _store.CreateTablesAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await _dataSource.DisposeAsync();

    [Fact]
    public async Task Alerts_PagedByCursorInDetectionOrder()
    {
        var alerts = await InsertAlertsAsync(_account, 5);

        var first = await _store.AlertsAsync(null, null, 2, CancellationToken.None);
        var second = await _store.AlertsAsync(null, first.NextCursor, 2, CancellationToken.None);
        var last = await _store.AlertsAsync(null, second.NextCursor, 2, CancellationToken.None);

        first.Alerts.Concat(second.Alerts).Concat(last.Alerts).Select(alert => alert.AlertId).Should().Equal(alerts.Select(alert => alert.AlertId));
        last.NextCursor.Should().BeNull();
        first.Alerts[0].Should().BeEquivalentTo(alerts[0]);
    }

    [Fact]
    public async Task Alerts_ExactlyOnePageFull_HasNoNextCursor()
    {
        await InsertAlertsAsync(_account, 2);

        (await _store.AlertsAsync(null, null, 2, CancellationToken.None)).NextCursor.Should().BeNull();
    }

    [Fact]
    public async Task Alerts_OfOneAccount_LeaveOthersOut()
    {
        await InsertAlertsAsync(_account, 2);
        var others = await InsertAlertsAsync(_otherAccount, 1);

        var page = await _store.AlertsAsync(_otherAccount, null, FraudStore.LimitDefault, CancellationToken.None);

        page.Alerts.Select(alert => alert.AlertId).Should().Equal(others[0].AlertId);
    }

    [Theory]
    [InlineData("nonsense")]
    [InlineData("12_notaguid")]
    [InlineData("-1_0b5f0c4e8f1a5d2b9c3e4a5b6c7d8e9f")]
    [InlineData("99999999999999999999_0b5f0c4e8f1a5d2b9c3e4a5b6c7d8e9f")]
    public async Task Alerts_ForeignCursor_IsRejected(string cursor)
    {
        FraudStore.TryParseCursor(cursor, out _).Should().BeFalse();
        await FluentActions.Awaiting(() => _store.AlertsAsync(null, cursor, 10, CancellationToken.None)).Should().ThrowAsync<ArgumentException>();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1001)]
    public async Task Alerts_LimitOutOfRange_IsRejected(int limit) =>
        await FluentActions.Awaiting(() => _store.AlertsAsync(null, null, limit, CancellationToken.None)).Should().ThrowAsync<ArgumentOutOfRangeException>();

    [Fact]
    public async Task RecordAndInsert_SecondTime_ChangeNothing()
    {
        var movement = new FraudMovement(Guid.NewGuid(), _account, MovementKind.Debit, 1_000_000, "EUR", T0);
        var alert = FraudRules.LargeDebitAlert(movement, new FraudOptions().LargeDebit, T0)!;
        for (var attempt = 0; attempt < 2; attempt++)
        {
            await using var transaction = await _store.BeginAsync(CancellationToken.None);
            (await transaction.RecordAsync(movement, CancellationToken.None)).Should().Be(attempt == 0);
            (await transaction.InsertAlertsAsync([alert], _ => false, CancellationToken.None)).Should().Be(attempt == 0 ? 1 : 0);
            await transaction.CommitAsync(CancellationToken.None);
        }

        (await _store.UnpublishedAsync(_account, 10, CancellationToken.None)).Should().ContainSingle();
        await _store.MarkPublishedAsync([alert.AlertId], CancellationToken.None);
        (await _store.UnpublishedAsync(_account, 10, CancellationToken.None)).Should().BeEmpty();
    }

    [Fact]
    public async Task Transaction_NotCommitted_LeavesNothing()
    {
        var movement = new FraudMovement(Guid.NewGuid(), _account, MovementKind.Deposit, 100, "EUR", T0);
        await using (var transaction = await _store.BeginAsync(CancellationToken.None))
        {
            await transaction.RecordAsync(movement, CancellationToken.None);
        }

        await using var again = await _store.BeginAsync(CancellationToken.None);
        (await again.MovementsAsync(MovementKind.Deposit, _account, "EUR", T0, T0, CancellationToken.None)).Should().BeEmpty();
    }

    [Fact]
    public async Task PendingFreezes_AreThoseOfAlertsThatFreeze_InDetectionOrder_EachRecordedOnce()
    {
        var alerts = await InsertAlertsAsync(_account, 4, freezes: (alert, i) => i != 1);
        var other = (await InsertAlertsAsync(_otherAccount, 1, freezes: (_, _) => true)).Single();
        var expected = alerts.Where((_, i) => i != 1).Append(other).OrderBy(alert => alert.DetectedAt).ThenBy(alert => alert.AlertId)
            .Select(alert => new PendingFreeze(alert.AlertId, FraudRules.LargeDebit, alert.AccountId)).ToList();

        (await _store.PendingFreezesAsync(10, CancellationToken.None)).Should().Equal(expected);
        (await _store.PendingFreezesAsync(2, CancellationToken.None)).Should().Equal(expected.Take(2));

        (await _store.MarkFreezeAsync(expected[0].AlertId, FreezeResult.Frozen, CancellationToken.None)).Should().BeTrue();
        (await _store.MarkFreezeAsync(expected[0].AlertId, FreezeResult.AlreadyFrozen, CancellationToken.None)).Should().BeFalse("it was recorded");
        (await _store.MarkFreezeAsync(alerts[1].AlertId, FreezeResult.Frozen, CancellationToken.None)).Should().BeFalse("its rule does not freeze");
        (await _store.PendingFreezesAsync(10, CancellationToken.None)).Should().Equal(expected.Skip(1));
        (await Sql.ScalarAsync<string>(_dataSource.ConnectionString, "select freeze_state from ledger_fraud.alerts where alert_id = $1", expected[0].AlertId))
            .Should().Be("frozen");
        (await Sql.ScalarAsync<bool>(_dataSource.ConnectionString, "select freeze_state is null from ledger_fraud.alerts where alert_id = $1", alerts[1].AlertId))
            .Should().BeTrue();
    }

    private async Task<List<FraudAlert>> InsertAlertsAsync(Guid account, int count, Func<FraudAlert, int, bool>? freezes = null)
    {
        var alerts = Enumerable.Range(0, count).Select(i =>
        {
            var movement = new FraudMovement(Guid.NewGuid(), account, MovementKind.Debit, 1_000_000 + i, "EUR", T0.AddMinutes(i));
            // Two alerts share each detection instant, so the alert id breaks ties.
            return FraudRules.LargeDebitAlert(movement, new FraudOptions().LargeDebit, T0.AddSeconds(i / 2))!;
        }).OrderBy(alert => alert.DetectedAt).ThenBy(alert => alert.AlertId).ToList();
        await using var transaction = await _store.BeginAsync(CancellationToken.None);
        await transaction.InsertAlertsAsync(alerts, alert => freezes?.Invoke(alert, alerts.IndexOf(alert)) ?? false, CancellationToken.None);
        await transaction.CommitAsync(CancellationToken.None);
        return alerts;
    }
}
