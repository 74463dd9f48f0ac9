using Ledger.Api.Tests.Http;
using Ledger.EventStore.Projections;

namespace Ledger.Api.Tests.Projections;

/// <summary>
/// The async projections read only up to a sequence no event can still appear below: a number taken by an append that
/// has not committed holds them back until it commits or has been seen missing for the gap timeout (a rollback).
/// </summary>
[Collection(ProjectionsGroup.Name)]
public sealed class SequenceCeilingTests(ProjectionsFixture fixture)
{
    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public async Task AHoleBelowCommittedEvents_HoldsTheCeilingUntilItIsOlderThanTheTimeout()
    {
        var accountId = await fixture.Teller.OpenFundedAccountAsync("10.00");
        var time = new ManualTime();
        var ceiling = new SequenceCeiling(time);
        await using var reader = await fixture.DataSource.OpenConnectionAsync();
        var head = await fixture.ScalarAsync<long>("select max(seq_id) from ledger.mt_events");
        (await ceiling.ReadAsync(reader, head - 1, CancellationToken.None)).Should().Be(head);

        // An append in flight: its sequence number is taken, its event not yet committed; a later append commits above it.
        await using var inFlight = await fixture.DataSource.OpenConnectionAsync();
        await using var transaction = await inFlight.BeginTransactionAsync();
        await using (var take = new Npgsql.NpgsqlCommand("select nextval('ledger.mt_events_sequence')", inFlight, transaction))
        {
            await take.ExecuteScalarAsync();
        }

        await fixture.Teller.DepositAsync(accountId, "1.00");
        var newHead = await fixture.ScalarAsync<long>("select max(seq_id) from ledger.mt_events");

        (await ceiling.ReadAsync(reader, head, CancellationToken.None)).Should().Be(head, "the hole may still fill");
        time.Now += SequenceCeiling.GapTimeout - TimeSpan.FromSeconds(1);
        (await ceiling.ReadAsync(reader, head, CancellationToken.None)).Should().Be(head);
        time.Now += TimeSpan.FromSeconds(2);
        (await ceiling.ReadAsync(reader, head, CancellationToken.None)).Should().Be(newHead, "a hole seen for the timeout is a rollback");
        (await new SequenceCeiling(time).ReadAsync(reader, head, CancellationToken.None))
            .Should().Be(head, "a reader that has just started has not seen the hole age");

        await transaction.RollbackAsync();
    }
}
