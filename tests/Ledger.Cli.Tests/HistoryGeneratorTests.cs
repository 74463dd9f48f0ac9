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
            .Concat(events.Select(e => e.Data).OfType<MoneyTransferred>().Select(transfer => transfer.TransferId).Distinct()).ToList();

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
        var times = steps.SelectMany(step => step.Events).Select(e => e.Data.OccurredAt).ToList();
        times.Should().BeInAscendingOrder();
        times[0].Should().BeAfter(HistoryOptions.Start).And.BeBefore(HistoryOptions.Start.AddMinutes(1));
        steps.SelectMany(step => step.Events).GroupBy(e => e.StreamId)
            .Should().OnlyContain(stream => stream.Select(e => e.Version).SequenceEqual(Enumerable.Range(1, stream.Count()).Select(v => (long)v)));
    }

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
