using FluentAssertions;
using Ledger.Domain.Accounts;
using Xunit;
using static Ledger.Domain.Tests.Facts;

namespace Ledger.Domain.Tests.Accounts;

public sealed class LifecycleTests
{
    private static readonly Guid AlertId = new("a1e27000-0000-4000-8000-000000000006");

    [Fact]
    public void OpenAccount_IsFrozen_NamingTheAlert() =>
        AccountSpec.Given(Created(Alice))
            .When(new FreezeAccount(Alice, "fraud rule large-debit", AlertId, Now))
            .Then(new AccountFrozen(Alice, "fraud rule large-debit", AlertId, Now));

    [Fact]
    public void FrozenAccount_FrozenAgain_IsRejected() =>
        AccountSpec.Given(Created(Alice), Frozen(Alice))
            .When(new FreezeAccount(Alice, "again", null, Now))
            .ThenRejects<AccountStatusUnchanged>()
            .Message.Should().Be($"Account {Alice} is frozen; it cannot be frozen again.");

    [Fact]
    public void FrozenAccount_IsUnfrozen() =>
        AccountSpec.Given(Created(Alice), Frozen(Alice))
            .When(new UnfreezeAccount(Alice, "customer identified", Now))
            .Then(new AccountUnfrozen(Alice, "customer identified", Now));

    [Fact]
    public void OpenAccount_Unfrozen_IsRejected() =>
        AccountSpec.Given(Created(Alice))
            .When(new UnfreezeAccount(Alice, "why", Now))
            .ThenRejects<AccountStatusUnchanged>()
            .Message.Should().Be($"Account {Alice} is open; it cannot be unfrozen.");

    [Fact]
    public void EmptyAccount_IsClosed() =>
        AccountSpec.Given(Created(Alice), Deposited(Alice, 5_00), Withdrawn(Alice, 5_00))
            .When(new CloseAccount(Alice, "customer moved away", Now))
            .Then(new AccountClosed(Alice, "customer moved away", Now));

    [Fact]
    public void AccountWithABalance_IsNotClosed() =>
        AccountSpec.Given(Created(Alice), Deposited(Alice, 5_00))
            .When(new CloseAccount(Alice, null, Now))
            .ThenRejects<AccountNotSettled>()
            .Message.Should().Be($"Account {Alice} can be closed only with a zero balance and no open hold; it has a balance of 5.00 EUR and 0 open hold(s).");

    [Fact]
    public void OverdrawnAccount_IsNotClosed() =>
        AccountSpec.Given(Created(Alice, overdraftLimitMinor: 10_00), Withdrawn(Alice, 1))
            .When(new CloseAccount(Alice, null, Now))
            .ThenRejects<AccountNotSettled>();

    [Fact]
    public void AccountWithAnOpenHold_IsNotClosed_EvenAtZeroBalance() =>
        AccountSpec.Given(Created(Alice, overdraftLimitMinor: 10_00), Held(Alice, 5_00))
            .When(new CloseAccount(Alice, null, Now))
            .ThenRejects<AccountNotSettled>()
            .Message.Should().EndWith("a balance of 0.00 EUR and 1 open hold(s).");

    [Fact]
    public void AccountWhoseHoldWasReleased_IsClosed() =>
        AccountSpec.Given(Created(Alice, overdraftLimitMinor: 10_00), Held(Alice, 5_00),
                new HoldReleased(HoldId, Alice, 5_00, "EUR", ReleaseReasons.Released, null, Opened))
            .When(new CloseAccount(Alice, null, Now))
            .Then(new AccountClosed(Alice, null, Now));

    [Fact]
    public void FrozenAccount_IsNotClosed() =>
        AccountSpec.Given(Created(Alice), Frozen(Alice))
            .When(new CloseAccount(Alice, null, Now))
            .ThenRejects<AccountIsFrozen>();

    [Fact]
    public void ClosedAccount_RefusesEverything()
    {
        var closed = AccountSpec.Given(Created(Alice), Closed(Alice));

        closed.When(new CloseAccount(Alice, null, Now)).ThenRejects<AccountIsClosed>();
        closed.When(new FreezeAccount(Alice, "x", null, Now)).ThenRejects<AccountIsClosed>();
        closed.When(new UnfreezeAccount(Alice, "x", Now)).ThenRejects<AccountIsClosed>();
        closed.When(new PlaceHold(HoldId, Alice, 1, null, null, Now)).ThenRejects<AccountIsClosed>();
    }

    [Fact]
    public void Evolve_FollowsTheStatus()
    {
        var frozen = AccountDecider.Fold([Created(Alice), Frozen(Alice)])!;
        var unfrozen = AccountDecider.Evolve(frozen, new AccountUnfrozen(Alice, "ok", Now));
        var closed = AccountDecider.Evolve(unfrozen, new AccountClosed(Alice, null, Now));

        frozen.Status.Should().Be(AccountStatus.Frozen);
        unfrozen.Should().Be(frozen with { Status = AccountStatus.Open, Version = 3, UpdatedAt = Now });
        closed.Should().Be(unfrozen with { Status = AccountStatus.Closed, Version = 4 });
    }
}
