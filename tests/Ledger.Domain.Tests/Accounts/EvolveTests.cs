using Ledger.Domain.Accounts;
using static Ledger.Domain.Tests.Facts;

namespace Ledger.Domain.Tests.Accounts;

public class EvolveTests
{
    private static readonly DateTimeOffset Later = Now.AddHours(1);

    [Fact]
    public void Created_StartsOpenWithZeroBalanceAtVersionOne()
    {
        var account = AccountDecider.Evolve(null, new AccountCreated(Alice, "Alice", "BHD", 7_000, Now));

        account.Should().Be(new Account(Alice, "Alice", "BHD", 0, 7_000, AccountStatus.Open, 1, Now, Now));
        account.CurrencyUnit.Exponent.Should().Be(3);
    }

    [Fact]
    public void Deposited_CreditsBalanceAndTakesTimeFromTheEvent()
    {
        var created = AccountDecider.Evolve(null, Created(Alice));

        var account = AccountDecider.Evolve(created, new MoneyDeposited(Alice, 12_34, "EUR", null, Now));

        account.Should().Be(created with { BalanceMinor = 12_34, Version = 2, UpdatedAt = Now });
        account.CreatedAt.Should().Be(Opened);
    }

    [Fact]
    public void Withdrawn_DebitsBalance()
    {
        var deposited = AccountDecider.Fold([Created(Alice), Deposited(Alice, 100_00)])!;

        var account = AccountDecider.Evolve(deposited, new MoneyWithdrawn(Alice, 30_01, "EUR", null, Now));

        account.BalanceMinor.Should().Be(69_99);
        account.Version.Should().Be(3);
        account.UpdatedAt.Should().Be(Now);
    }

    [Fact]
    public void WithdrawnIntoOverdraft_GoesNegative()
    {
        var account = AccountDecider.Fold([Created(Alice, overdraftLimitMinor: 50_00), Deposited(Alice, 10_00), Withdrawn(Alice, 60_00)])!;

        account.BalanceMinor.Should().Be(-50_00);
    }

    [Fact]
    public void Transferred_DebitsTheSourceSide()
    {
        var source = AccountDecider.Fold([Created(Alice), Deposited(Alice, 100_00)])!;

        var account = AccountDecider.Evolve(source, new MoneyTransferred(TransferId, Alice, Bob, 25_50, "EUR", null, Now));

        account.Should().Be(source with { BalanceMinor = 74_50, Version = 3, UpdatedAt = Now });
    }

    [Fact]
    public void Transferred_CreditsTheDestinationSide()
    {
        var destination = AccountDecider.Fold([Created(Bob), Deposited(Bob, 1_00)])!;

        var account = AccountDecider.Evolve(destination, new MoneyTransferred(TransferId, Alice, Bob, 25_50, "EUR", null, Now));

        account.Should().Be(destination with { BalanceMinor = 26_50, Version = 3, UpdatedAt = Now });
    }

    [Fact]
    public void TransferredOnNeitherSide_ViolatesInvariant()
    {
        var carol = AccountDecider.Fold([Created(Carol), Deposited(Carol, 100_00)])!;

        var act = () => AccountDecider.Evolve(carol, new MoneyTransferred(TransferId, Alice, Bob, 1_00, "EUR", null, Now));

        act.Should().ThrowExactly<InvariantViolationException>()
            .WithMessage($"Transfer {TransferId} applied to account {Carol}, which is on neither side.");
    }

    public static TheoryData<IAccountEvent> EventsOtherThanCreation => new()
    {
        Deposited(Alice, 1_00),
        Withdrawn(Alice, 1_00),
        Transferred(Alice, Bob, 1_00),
    };

    [Theory]
    [MemberData(nameof(EventsOtherThanCreation))]
    public void EventBeforeCreation_ViolatesInvariant(IAccountEvent @event)
    {
        var act = () => AccountDecider.Evolve(null, @event);

        act.Should().ThrowExactly<InvariantViolationException>()
            .WithMessage($"{@event.GetType().Name} applied to an account that was never created.");
    }

    [Fact]
    public void CreatedTwice_ViolatesInvariant()
    {
        var created = AccountDecider.Evolve(null, Created(Alice));

        var act = () => AccountDecider.Evolve(created, Created(Alice));

        act.Should().ThrowExactly<InvariantViolationException>().WithMessage($"Account {Alice} created twice.");
    }

    [Fact]
    public void UnknownEvent_ViolatesInvariant()
    {
        var created = AccountDecider.Evolve(null, Created(Alice));

        var act = () => AccountDecider.Evolve(created, new SomethingElseHappened(Now));

        act.Should().ThrowExactly<InvariantViolationException>().WithMessage("Unknown account event SomethingElseHappened.");
    }

    [Fact]
    public void NullEvent_Throws()
    {
        var act = () => AccountDecider.Evolve(null, null!);

        act.Should().ThrowExactly<ArgumentNullException>().WithParameterName("@event");
    }

    [Fact]
    public void BalanceBeyondLongMaxValue_Overflows()
    {
        var full = AccountDecider.Fold([Created(Alice), Deposited(Alice, long.MaxValue)])!;

        var act = () => AccountDecider.Evolve(full, Deposited(Alice, 1));

        act.Should().ThrowExactly<OverflowException>();
    }

    [Fact]
    public void VersionCountsTheEventsApplied()
    {
        var history = new IAccountEvent[]
        {
            Created(Alice), Deposited(Alice, 10_00), Withdrawn(Alice, 3_00), Transferred(Alice, Bob, 2_00),
            Transferred(Bob, Alice, 50), Deposited(Alice, 1),
        };

        var versions = new List<long>();
        Account? account = null;
        foreach (var @event in history)
        {
            account = AccountDecider.Evolve(account, @event);
            versions.Add(account.Version);
        }

        versions.Should().Equal(1, 2, 3, 4, 5, 6);
        account!.BalanceMinor.Should().Be(10_00 - 3_00 - 2_00 + 50 + 1);
    }

    [Fact]
    public void FoldOfHistory_EqualsStepByStepEvolve()
    {
        var history = new IAccountEvent[]
        {
            new AccountCreated(Alice, "Alice", "EUR", 20_00, Opened),
            new MoneyDeposited(Alice, 100_00, "EUR", "salary", Opened.AddMinutes(1)),
            new MoneyWithdrawn(Alice, 115_00, "EUR", null, Opened.AddMinutes(2)),
            new MoneyTransferred(TransferId, Bob, Alice, 7_25, "EUR", null, Now),
            new MoneyTransferred(Guid.Empty, Alice, Carol, 1_25, "EUR", "gift", Later),
        };

        var stepByStep = AccountDecider.Evolve(null, history[0]);
        stepByStep = AccountDecider.Evolve(stepByStep, history[1]);
        stepByStep = AccountDecider.Evolve(stepByStep, history[2]);
        stepByStep = AccountDecider.Evolve(stepByStep, history[3]);
        stepByStep = AccountDecider.Evolve(stepByStep, history[4]);

        var folded = AccountDecider.Fold(history);

        folded.Should().Be(stepByStep);
        folded.Should().Be(new Account(Alice, "Alice", "EUR", -9_00, 20_00, AccountStatus.Open, 5, Opened, Later));
    }

    [Fact]
    public void FoldOfEmptyHistory_IsNoAccount() =>
        AccountDecider.Fold([]).Should().BeNull();

    [Fact]
    public void DecidedEvents_RebuildTheSameStateOnReplay()
    {
        var history = new List<IAccountEvent> { AccountDecider.Decide(new OpenAccount(Alice, "Alice", "EUR", 10_00, Opened)) };
        var account = AccountDecider.Evolve(null, history[^1]);
        history.Add(AccountDecider.Decide(new Deposit(Alice, 40_00, null, Now), account));
        account = AccountDecider.Evolve(account, history[^1]);
        history.Add(AccountDecider.Decide(new Withdraw(Alice, 45_00, null, Later), account));
        account = AccountDecider.Evolve(account, history[^1]);

        account.Should().Be(new Account(Alice, "Alice", "EUR", -5_00, 10_00, AccountStatus.Open, 3, Opened, Later));
        AccountDecider.Fold(history).Should().Be(account);
    }

    private sealed record SomethingElseHappened(DateTimeOffset OccurredAt) : IAccountEvent;
}
