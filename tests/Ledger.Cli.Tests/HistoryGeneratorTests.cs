using Ledger.Domain.Accounts;
using Ledger.EventStore.Seeding;

namespace Ledger.Cli.Tests;

public sealed class HistoryGeneratorTests
{
    private static readonly HistoryOptions Options = new(Accounts: 40, Transfers: 400, Seed: 11);

    [Fact]
    public void EveryEnumeration_YieldsTheSameHistory()
    {
        var generator = new HistoryGenerator(Options);

        var first = generator.Steps().SelectMany(step => step.Events).ToList();
        var second = new HistoryGenerator(Options).Steps().SelectMany(step => step.Events).ToList();

        first.Should().Equal(second);
        first.Should().NotEqual(new HistoryGenerator(Options with { Seed = 12 }).Steps().SelectMany(step => step.Events));
    }

    [Fact]
    public void Ids_AreRandomVersion4Guids_AndUnique()
    {
        var events = new HistoryGenerator(Options).Steps().SelectMany(step => step.Events).ToList();
        var ids = events.Select(e => e.EventId).Concat(events.Select(e => e.StreamId).Distinct())
            .Concat(events.Select(e => e.Data).OfType<MoneyTransferred>().Select(transfer => transfer.TransferId).Distinct())
            .Concat(events.Select(e => e.Data).OfType<HoldPlaced>().Select(placed => placed.HoldId))
            .Concat(events.Select(e => e.Data).OfType<AccountFrozen>().Select(frozen => frozen.AlertId).OfType<Guid>()).ToList();

        ids.Should().OnlyHaveUniqueItems();
        ids.Should().OnlyContain(id => id.Version == 4 && (id.Variant & 0xC) == 0x8);
    }

    [Fact]
    public void Steps_FollowTheDomain_AndTheClockOnlyMovesForward()
    {
        var steps = new HistoryGenerator(Options).Steps().ToList();

        steps.Count(step => step.Command is Transfer).Should().Be(Options.Transfers);
        steps.Where(step => step.Rejection is not null).Should().NotBeEmpty().And.OnlyContain(step => step.Events.Count == 0);
        steps.Where(step => step.Rejection is null && step.Command is Transfer).Should().OnlyContain(step => step.Events.Count == 2);
        steps.Where(step => step.Rejection is null).Select(step => (step.Events.Count, TwoSided(step.Events[0].Data)))
            .Should().OnlyContain(step => step.Count == (step.Item2 ? 2 : 1), "transfers and captures to another account are in both streams");
        var times = steps.SelectMany(step => step.Events).Select(e => e.Data.OccurredAt).ToList();
        times.Should().BeInAscendingOrder();
        times[0].Should().BeAfter(HistoryOptions.Start).And.BeBefore(HistoryOptions.Start.AddMinutes(1));
        steps.SelectMany(step => step.Events).GroupBy(e => e.StreamId)
            .Should().OnlyContain(stream => stream.Select(e => e.Version).SequenceEqual(Enumerable.Range(1, stream.Count()).Select(v => (long)v)));
    }

    /// <summary>Every kind of event is in a small history, each kind of hold ending too: what the seed is for is to show them.</summary>
    [Fact]
    public void History_HasEveryKindOfEvent_AndEveryWayAHoldEnds()
    {
        var steps = new HistoryGenerator(Options).Steps().Where(step => step.Rejection is null).ToList();
        var events = steps.SelectMany(step => step.Events).Select(e => e.Data).ToList();
        var captures = events.OfType<HoldCaptured>().Distinct().ToList();
        var releases = events.OfType<HoldReleased>().ToList();

        events.Select(e => e.GetType().Name).Distinct().Should().BeEquivalentTo(
            "AccountCreated", "MoneyDeposited", "MoneyWithdrawn", "MoneyTransferred", "AccountFrozen", "AccountUnfrozen", "AccountClosed",
            "HoldPlaced", "HoldCaptured", "HoldReleased");
        captures.Should().Contain(captured => captured.ToAccountId != null, "some holds are captured to another account");
        captures.Should().Contain(captured => captured.ToAccountId == null, "and some out of the ledger");
        captures.Should().Contain(captured => captured.AmountMinor < captured.HeldMinor, "some in part");
        captures.Should().Contain(captured => captured.ApprovedBy != null, "some are approved movements");
        releases.Select(released => released.Reason).Distinct().Should().BeEquivalentTo("released", "expired", "rejected");
        events.OfType<HoldPlaced>().Select(placed => placed.Purpose).Distinct().Should().HaveCount(3);
        steps.Where(step => step.Command is CloseAccount).Should().NotBeEmpty();
    }

    /// <summary>
    /// The history checked from its events alone, without the decider: every stream folds (Evolve asserts that nothing is
    /// held below zero and no hold ends twice), nothing leaves a frozen account, an expired hold is released after its
    /// expiry, a closed account had nothing left and nothing follows its closing, an approval is never its requester's.
    /// </summary>
    [Fact]
    public void History_KeepsTheRulesOfFreezesHoldsAndClosings()
    {
        var events = new HistoryGenerator(Options with { Transfers = 1_500 }).Steps().SelectMany(step => step.Events).ToList();

        foreach (var stream in events.GroupBy(e => e.StreamId))
        {
            Account? account = null;
            foreach (var e in stream.OrderBy(e => e.Version))
            {
                account?.Status.Should().NotBe(AccountStatus.Closed, "nothing happens on {0} after it is closed", e.StreamId);
                var debit = e.Data switch
                {
                    MoneyWithdrawn or HoldPlaced => true,
                    MoneyTransferred transfer => transfer.FromAccountId == e.StreamId,
                    HoldCaptured captured => captured.AccountId == e.StreamId,
                    _ => false,
                };
                (debit && account!.Status == AccountStatus.Frozen).Should().BeFalse("no money leaves frozen account {0}: {1}", e.StreamId, e.Data);
                if (e.Data is AccountClosed)
                {
                    (account!.BalanceMinor, account.HoldsOpen).Should().Be((0L, 0), "an account is closed settled and without holds");
                }

                account = AccountDecider.Evolve(account, e.Data);
                (account.BalanceMinor + account.OverdraftLimitMinor - account.HeldMinor).Should().BeGreaterThanOrEqualTo(0,
                    "nothing is taken or held beyond what is available on {0}", e.StreamId);
            }
        }

        var holds = new Dictionary<Guid, Hold>();
        foreach (var e in events.Select(e => e.Data).Distinct())
        {
            if (e is HoldPlaced or HoldCaptured or HoldReleased)
            {
                var holdId = e switch { HoldPlaced p => p.HoldId, HoldCaptured c => c.HoldId, _ => ((HoldReleased)e).HoldId };
                holds[holdId] = AccountDecider.EvolveHold(holds.GetValueOrDefault(holdId), e);
            }
        }

        holds.Values.Where(hold => hold.ReleaseReason == ReleaseReasons.Expired).Should().NotBeEmpty()
            .And.OnlyContain(hold => hold.ExpiresAt < hold.ClosedAt, "an expired hold is released after its expiry");
        holds.Values.Where(hold => hold.Status == HoldStatus.Captured && hold.ExpiresAt != null)
            .Should().OnlyContain(hold => hold.ClosedAt < hold.ExpiresAt, "an expired hold is never captured");
        holds.Values.Where(hold => hold.ApprovedBy != null || hold.RejectedBy != null)
            .Should().NotBeEmpty().And.OnlyContain(hold => hold.AwaitsApproval && hold.RequestedBy != hold.ApprovedBy && hold.RequestedBy != hold.RejectedBy);
        holds.Values.Where(hold => hold.Status == HoldStatus.Captured).Should().OnlyContain(hold =>
            hold.CapturedToAccountId == hold.ToAccountId || !hold.AwaitsApproval, "an approval captures to the destination requested");
    }

    private static bool TwoSided(IAccountEvent e) => e is MoneyTransferred or HoldCaptured { ToAccountId: not null };

    [Theory]
    [InlineData(0, 10)]
    [InlineData(HistoryOptions.AccountsMax + 1, 10)]
    [InlineData(10, -1)]
    public void OutOfRangeOptions_AreRefused(int accounts, int transfers)
    {
        var create = () => new HistoryGenerator(new HistoryOptions(accounts, transfers, 1));

        create.Should().Throw<ArgumentOutOfRangeException>();
    }
}
