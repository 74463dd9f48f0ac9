using FluentAssertions;
using Ledger.Domain.Accounts;
using Xunit;
using static Ledger.Domain.Tests.Facts;

namespace Ledger.Domain.Tests.Accounts;

/// <summary>Given histories / when a hold command / then its event or rejection; the hold's own state is folded from its events.</summary>
public sealed class HoldTests
{
    private static readonly DateTimeOffset Later = Now.AddHours(1);

    [Fact]
    public void Hold_TakesFromAvailable_NotFromTheBalance()
    {
        AccountSpec.Given(Created(Alice, overdraftLimitMinor: 10_00), Deposited(Alice, 100_00))
            .When(new PlaceHold(HoldId, Alice, 110_00, "card 4242", Later, Now))
            .Then(new HoldPlaced(HoldId, Alice, 110_00, "EUR", "card 4242", Later, HoldPurpose.Hold, null, null, Now));

        var held = AccountDecider.Fold([Created(Alice, overdraftLimitMinor: 10_00), Deposited(Alice, 100_00), Held(Alice, 30_00)])!;
        held.BalanceMinor.Should().Be(100_00);
        held.HeldMinor.Should().Be(30_00);
        held.HoldsOpen.Should().Be(1);
        held.AvailableMinor().Should().Be((Int128)80_00);
    }

    [Fact]
    public void HoldBeyondAvailable_IsRejected() =>
        AccountSpec.Given(Created(Alice), Deposited(Alice, 100_00), Held(Alice, 60_00, holdId: Guid.NewGuid()))
            .When(new PlaceHold(HoldId, Alice, 40_01, null, null, Now))
            .ThenRejects<InsufficientFunds>();

    [Fact]
    public void HoldOnAFrozenAccount_IsRejected() =>
        AccountSpec.Given(Created(Alice), Deposited(Alice, 100_00), Frozen(Alice))
            .When(new PlaceHold(HoldId, Alice, 1_00, null, null, Now))
            .ThenRejects<AccountIsFrozen>();

    [Fact]
    public void HoldExpiringNow_IsRejected() =>
        AccountSpec.Given(Created(Alice), Deposited(Alice, 100_00))
            .When(new PlaceHold(HoldId, Alice, 1_00, null, Now, Now))
            .ThenRejects<HoldExpiryNotInFuture>();

    [Fact]
    public void PartialCapture_DebitsTheCapture_AndReleasesTheWholeHold()
    {
        var given = Given(Created(Alice), Deposited(Alice, 100_00), Held(Alice, 30_00));

        var captured = AccountDecider.Decide(new CaptureHold(HoldId, 20_00, null, null, Now), given.Hold, given.Account, null);

        captured.Should().Be(new HoldCaptured(HoldId, Alice, null, 20_00, 30_00, "EUR", "card 4242", null, Now));
        var after = AccountDecider.Evolve(given.Account, captured);
        after.BalanceMinor.Should().Be(80_00);
        after.HeldMinor.Should().Be(0);
        after.HoldsOpen.Should().Be(0);
        AccountDecider.EvolveHold(given.Hold, captured).Should().Be(given.Hold with
        {
            Status = HoldStatus.Captured, CapturedMinor = 20_00, ClosedAt = Now,
        });
    }

    [Fact]
    public void CaptureToAnotherAccount_IsATransfer()
    {
        var given = Given(Created(Alice), Deposited(Alice, 100_00), Held(Alice, 30_00));
        var bob = AccountDecider.Fold([Created(Bob)])!;

        var captured = AccountDecider.Decide(new CaptureHold(HoldId, null, Bob, "settled", Now), given.Hold, given.Account, bob);

        captured.Should().Be(new HoldCaptured(HoldId, Alice, Bob, 30_00, 30_00, "EUR", "settled", null, Now));
        AccountDecider.Evolve(given.Account, captured).BalanceMinor.Should().Be(70_00);
        AccountDecider.Evolve(bob, captured).BalanceMinor.Should().Be(30_00);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(30_01)]
    public void CaptureOfNothingOrMoreThanHeld_IsRejected(long amountMinor)
    {
        var given = Given(Created(Alice), Deposited(Alice, 100_00), Held(Alice, 30_00));

        var capture = () => AccountDecider.Decide(new CaptureHold(HoldId, amountMinor, null, null, Now), given.Hold, given.Account, null);

        capture.Should().ThrowExactly<CaptureOutOfRange>();
    }

    [Fact]
    public void CaptureToAnotherCurrency_IsRejected()
    {
        var given = Given(Created(Alice), Deposited(Alice, 100_00), Held(Alice, 30_00));
        var dollars = AccountDecider.Fold([Created(Bob, "USD")])!;

        var capture = () => AccountDecider.Decide(new CaptureHold(HoldId, null, Bob, null, Now), given.Hold, given.Account, dollars);

        capture.Should().ThrowExactly<CurrencyMismatch>();
    }

    [Fact]
    public void CaptureOnAFrozenAccount_IsRejected_ReleaseIsNot()
    {
        var given = Given(Created(Alice), Deposited(Alice, 100_00), Held(Alice, 30_00), Frozen(Alice));

        var capture = () => AccountDecider.Decide(new CaptureHold(HoldId, null, null, null, Now), given.Hold, given.Account, null);

        capture.Should().ThrowExactly<AccountIsFrozen>();
        AccountDecider.Decide(new ReleaseHold(HoldId, ReleaseReasons.Released, Now), given.Hold, given.Account)
            .Should().Be(new HoldReleased(HoldId, Alice, 30_00, "EUR", ReleaseReasons.Released, null, Now));
    }

    [Fact]
    public void ClosedHold_IsNeitherCapturedNorReleasedAgain()
    {
        var given = Given(Created(Alice), Deposited(Alice, 100_00), Held(Alice, 30_00),
            new HoldReleased(HoldId, Alice, 30_00, "EUR", ReleaseReasons.Released, null, Opened));

        var capture = () => AccountDecider.Decide(new CaptureHold(HoldId, null, null, null, Now), given.Hold, given.Account, null);
        var release = () => AccountDecider.Decide(new ReleaseHold(HoldId, ReleaseReasons.Released, Now), given.Hold, given.Account);

        capture.Should().ThrowExactly<HoldNotOpen>().Which.Message.Should().Be($"Hold {HoldId} is released already; only an open hold can be captured or released.");
        release.Should().ThrowExactly<HoldNotOpen>();
    }

    [Fact]
    public void ExpiredHold_IsNotCaptured_ButReleasedAsExpired()
    {
        var given = Given(Created(Alice), Deposited(Alice, 100_00), Held(Alice, 30_00, expiresAt: Now));

        var capture = () => AccountDecider.Decide(new CaptureHold(HoldId, null, null, null, Now), given.Hold, given.Account, null);
        var early = () => AccountDecider.Decide(new ReleaseHold(HoldId, ReleaseReasons.Expired, Now.AddTicks(-10)), given.Hold, given.Account);

        capture.Should().ThrowExactly<HoldExpired>();
        early.Should().ThrowExactly<HoldNotExpired>();
        AccountDecider.Decide(new ReleaseHold(HoldId, ReleaseReasons.Expired, Now), given.Hold, given.Account)
            .Should().Be(new HoldReleased(HoldId, Alice, 30_00, "EUR", ReleaseReasons.Expired, null, Now));
    }

    [Fact]
    public void ApprovalHold_IsApprovedByAnotherPerson_AsTheTransferRequested()
    {
        var given = Given(Created(Alice), Deposited(Alice, 100_00), AwaitingTransfer(40_00));
        var bob = AccountDecider.Fold([Created(Bob)])!;

        var approved = AccountDecider.Decide(new ApproveHold(HoldId, "sam", Now), given.Hold, given.Account, bob);

        approved.Should().Be(new HoldCaptured(HoldId, Alice, Bob, 40_00, 40_00, "EUR", "rent", "sam", Now));
        AccountDecider.EvolveHold(given.Hold, approved).ApprovedBy.Should().Be("sam");
    }

    [Fact]
    public void ApprovalByTheRequester_IsRejected_AndSoIsItsRejection()
    {
        var given = Given(Created(Alice), Deposited(Alice, 100_00), AwaitingTransfer(40_00));
        var bob = AccountDecider.Fold([Created(Bob)])!;

        var approve = () => AccountDecider.Decide(new ApproveHold(HoldId, "terry", Now), given.Hold, given.Account, bob);
        var reject = () => AccountDecider.Decide(new ReleaseHold(HoldId, ReleaseReasons.Rejected, Now, "terry"), given.Hold, given.Account);

        approve.Should().ThrowExactly<SelfApproval>().Which.Message.Should().StartWith("'terry' requested the movement");
        reject.Should().ThrowExactly<SelfApproval>();
        AccountDecider.Decide(new ReleaseHold(HoldId, ReleaseReasons.Rejected, Now, "sam"), given.Hold, given.Account)
            .Should().Be(new HoldReleased(HoldId, Alice, 40_00, "EUR", ReleaseReasons.Rejected, "sam", Now));
    }

    [Fact]
    public void ApprovalHold_CannotBeCapturedOrReleasedAsAHold_NorAHoldApproved()
    {
        var awaiting = Given(Created(Alice), Deposited(Alice, 100_00), AwaitingTransfer(40_00));
        var plain = Given(Created(Alice), Deposited(Alice, 100_00), Held(Alice, 30_00));

        var capture = () => AccountDecider.Decide(new CaptureHold(HoldId, null, null, null, Now), awaiting.Hold, awaiting.Account, null);
        var release = () => AccountDecider.Decide(new ReleaseHold(HoldId, ReleaseReasons.Released, Now), awaiting.Hold, awaiting.Account);
        var approve = () => AccountDecider.Decide(new ApproveHold(HoldId, "sam", Now), plain.Hold, plain.Account, null);

        capture.Should().ThrowExactly<WrongHoldKind>();
        release.Should().ThrowExactly<WrongHoldKind>();
        approve.Should().ThrowExactly<WrongHoldKind>();
    }

    [Fact]
    public void ApprovalOfAWithdrawal_OnAnAccountFrozenMeanwhile_IsRejected()
    {
        var given = Given(Created(Alice), Deposited(Alice, 100_00),
            new HoldPlaced(HoldId, Alice, 40_00, "EUR", null, null, HoldPurpose.WithdrawalApproval, null, "terry", Opened), Frozen(Alice));

        var approve = () => AccountDecider.Decide(new ApproveHold(HoldId, "sam", Now), given.Hold, given.Account, null);

        approve.Should().ThrowExactly<AccountIsFrozen>();
    }

    [Fact]
    public void EventsOfAnotherHold_ViolateTheInvariant()
    {
        var given = Given(Created(Alice), Deposited(Alice, 100_00), Held(Alice, 30_00));

        var capture = () => AccountDecider.Decide(new CaptureHold(Guid.NewGuid(), null, null, null, Now), given.Hold, given.Account, null);

        capture.Should().ThrowExactly<InvariantViolationException>();
    }

    private static HoldPlaced AwaitingTransfer(long amountMinor) =>
        new(HoldId, Alice, amountMinor, "EUR", "rent", null, HoldPurpose.TransferApproval, Bob, "terry", Opened);

    /// <summary>The account folded from its history, and the hold <see cref="HoldId"/> folded from the hold events in it.</summary>
    private static (Account Account, Hold Hold) Given(params IAccountEvent[] history)
    {
        var account = AccountDecider.Fold(history)!;
        Hold? hold = null;
        foreach (var e in history.Where(e => e is HoldPlaced { HoldId: var id } && id == HoldId || e is HoldCaptured { HoldId: var c } && c == HoldId ||
                                              e is HoldReleased { HoldId: var r } && r == HoldId))
        {
            hold = AccountDecider.EvolveHold(hold, e);
        }

        return (account, hold!);
    }
}

public sealed class ApprovalRequestTests
{
    [Fact]
    public void WithdrawalAwaitingApproval_IsAHold_DecidedAsTheWithdrawalWouldBe()
    {
        var account = AccountDecider.Fold([Created(Alice), Deposited(Alice, 100_00)])!;

        AccountDecider.RequestApproval(new Withdraw(Alice, 90_00, "car", Now), account, HoldId, "terry")
            .Should().Be(new HoldPlaced(HoldId, Alice, 90_00, "EUR", "car", null, HoldPurpose.WithdrawalApproval, null, "terry", Now));
        var tooMuch = () => AccountDecider.RequestApproval(new Withdraw(Alice, 100_01, null, Now), account, HoldId, "terry");
        tooMuch.Should().ThrowExactly<InsufficientFunds>();
    }

    [Fact]
    public void TransferAwaitingApproval_IsHeldUnderTheTransferId_AndChecksTheDestination()
    {
        var alice = AccountDecider.Fold([Created(Alice), Deposited(Alice, 100_00)])!;
        var bob = AccountDecider.Fold([Created(Bob)])!;
        var closedBob = AccountDecider.Fold([Created(Bob), Closed(Bob)])!;
        var dollars = AccountDecider.Fold([Created(Carol, "USD")])!;

        AccountDecider.RequestApproval(new Transfer(TransferId, Alice, Bob, 60_00, "rent", Now), alice, bob, "terry")
            .Should().Be(new HoldPlaced(TransferId, Alice, 60_00, "EUR", "rent", null, HoldPurpose.TransferApproval, Bob, "terry", Now));
        var toClosed = () => AccountDecider.RequestApproval(new Transfer(TransferId, Alice, Bob, 60_00, null, Now), alice, closedBob, "terry");
        var toDollars = () => AccountDecider.RequestApproval(new Transfer(TransferId, Alice, Carol, 60_00, null, Now), alice, dollars, "terry");
        toClosed.Should().ThrowExactly<AccountIsClosed>();
        toDollars.Should().ThrowExactly<CurrencyMismatch>();
    }
}
