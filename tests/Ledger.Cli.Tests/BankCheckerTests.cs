using Ledger.Cli.Checks;

namespace Ledger.Cli.Tests;

/// <summary>The bank invariants on hand-made observations: each kind of inconsistency is a violation, and honest uncertainty is not.</summary>
public sealed class BankCheckerTests
{
    private static readonly Guid Ada = Guid.Parse("7d0c8a52-3b1e-4c55-9a51-0a1e2f3b4c01");
    private static readonly Guid Bob = Guid.Parse("7d0c8a52-3b1e-4c55-9a51-0a1e2f3b4c02");
    private static readonly Guid TransferId = Guid.Parse("5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a01");

    private static BankOperation Fund(Guid account, string id) =>
        new(id, OperationKind.Deposit, account, null, null, 10_000, $"ref {id}", 0, 1, OperationOutcome.Acknowledged, 0, Setup: true);

    private static readonly BankOperation Withdrawal =
        new("w", OperationKind.Withdrawal, Ada, null, null, 3_000, "ref w", 10, 20, OperationOutcome.Acknowledged, 2);

    private static readonly BankOperation Transfer =
        new("t", OperationKind.Transfer, Ada, Bob, TransferId, 2_000, "ref t", 30, 40, OperationOutcome.Acknowledged, 0);

    private static HistoryEntry Entry(Guid account, long version, long amount, long balance, string type, string? reference = null, Guid? transferId = null) =>
        new(account, version, Guid.NewGuid(), type, amount, balance, transferId, reference);

    /// <summary>Ada and Bob funded with 100.00; Ada withdraws 30.00 and sends Bob 20.00; every read agrees.</summary>
    private static BankObservation Consistent() => new(
        [new BankAccount(Ada, 0), new BankAccount(Bob, 5_000)],
        [Fund(Ada, "fa"), Fund(Bob, "fb"), Withdrawal, Transfer],
        [new TotalRead("final balances", 50, 60, 17_000)],
        [new BalanceRead("final", Ada, 5_000), new BalanceRead("final", Bob, 12_000)],
        new Dictionary<Guid, IReadOnlyList<HistoryEntry>>
        {
            [Ada] =
            [
                Entry(Ada, 1, 0, 0, "AccountCreated"), Entry(Ada, 2, 10_000, 10_000, "MoneyDeposited", "ref fa"),
                Entry(Ada, 3, -3_000, 7_000, "MoneyWithdrawn", "ref w"), Entry(Ada, 4, -2_000, 5_000, "MoneyTransferred", "ref t", TransferId),
            ],
            [Bob] =
            [
                Entry(Bob, 1, 0, 0, "AccountCreated"), Entry(Bob, 2, 10_000, 10_000, "MoneyDeposited", "ref fb"),
                Entry(Bob, 3, 2_000, 12_000, "MoneyTransferred", "ref t", TransferId),
            ],
        },
        [new IntegrityRead("ledger", true, null)],
        []);

    [Fact]
    public void ConsistentObservation_HasNoViolations() => BankChecker.Check(Consistent()).Should().BeEmpty();

    [Fact]
    public void AcknowledgedCommandMissingFromHistory_IsAViolation()
    {
        var observation = Consistent();
        var ada = observation.Histories[Ada].Where(entry => entry.Reference != "ref w").ToList();

        var violations = BankChecker.Check(observation with { Histories = new Dictionary<Guid, IReadOnlyList<HistoryEntry>>(observation.Histories) { [Ada] = ada } });

        violations.Should().Contain(violation => violation.Check == BankChecker.HistoryCheck && violation.Detail.Contains("acknowledged withdrawal w", StringComparison.Ordinal));
    }

    [Fact]
    public void AcknowledgedCommandRecordedTwice_IsAViolation()
    {
        var observation = Consistent();
        var ada = observation.Histories[Ada].Append(Entry(Ada, 5, -3_000, 2_000, "MoneyWithdrawn", "ref w")).ToList();

        var violations = BankChecker.Check(observation with { Histories = new Dictionary<Guid, IReadOnlyList<HistoryEntry>>(observation.Histories) { [Ada] = ada } });

        violations.Should().Contain(violation => violation.Detail.Contains("withdrawal w is in the history 2 time(s)", StringComparison.Ordinal));
    }

    [Fact]
    public void RejectedCommandInHistory_IsAViolation()
    {
        var observation = Consistent();

        var violations = BankChecker.Check(observation with
        {
            Operations = [.. observation.Operations.Select(operation => operation == Withdrawal ? operation with { Outcome = OperationOutcome.Rejected } : operation)],
        });

        violations.Should().Contain(violation => violation.Detail.StartsWith("rejected withdrawal w", StringComparison.Ordinal));
    }

    [Fact]
    public void TransferOnOneSideOnly_IsAViolation_EvenWhenIndeterminate()
    {
        var observation = Consistent();
        var bob = observation.Histories[Bob].Where(entry => entry.TransferId is null).ToList();
        var histories = new Dictionary<Guid, IReadOnlyList<HistoryEntry>>(observation.Histories) { [Bob] = bob };

        var violations = BankChecker.Check(observation with
        {
            Histories = histories,
            Operations = [.. observation.Operations.Select(operation => operation == Transfer ? operation with { Outcome = OperationOutcome.Indeterminate, CompletedAt = null } : operation)],
        });

        violations.Should().Contain(violation => violation.Detail.Contains("transfer t is in the history 1 and 0 time(s)", StringComparison.Ordinal));
    }

    [Fact]
    public void IndeterminateCommand_MayBeRecordedOrNot()
    {
        var observation = Consistent();
        var indeterminate = observation with
        {
            Operations = [.. observation.Operations.Select(operation => operation == Withdrawal ? operation with { Outcome = OperationOutcome.Indeterminate, CompletedAt = null } : operation)],
        };
        var unrecorded = new BankOperation("d", OperationKind.Deposit, Bob, null, null, 700, "ref d", 45, null, OperationOutcome.Indeterminate, 9);

        BankChecker.Check(indeterminate).Should().BeEmpty("recorded once");
        BankChecker.Check(indeterminate with { Operations = [.. indeterminate.Operations, unrecorded] }).Should().BeEmpty("not recorded");
    }

    [Fact]
    public void EntryOfNoCommand_IsAViolation()
    {
        var observation = Consistent();
        var bob = observation.Histories[Bob].Append(Entry(Bob, 4, 500, 12_500, "MoneyDeposited", "someone else")).ToList();

        var violations = BankChecker.Check(observation with { Histories = new Dictionary<Guid, IReadOnlyList<HistoryEntry>>(observation.Histories) { [Bob] = bob } });

        violations.Should().Contain(violation => violation.Detail.Contains("matches no command", StringComparison.Ordinal))
            .And.Contain(violation => violation.Detail.Contains($"final balance of {Bob} is 12000, its history adds up to 12500", StringComparison.Ordinal));
    }

    [Fact]
    public void BalanceBelowOverdraftLimit_IsAViolation()
    {
        var observation = Consistent();

        var violations = BankChecker.Check(observation with
        {
            Balances = [.. observation.Balances, new BalanceRead("as-of x", Ada, -1), new BalanceRead("as-of y", Bob, -5_000)],
        });

        violations.Should().ContainSingle().Which.Should().Be(new Violation(BankChecker.OverdraftCheck, $"as-of x balance of {Ada} is -1, below -0"));
    }

    [Fact]
    public void TotalOutsideTheBounds_IsAViolation_AndUnbalancedTrialBalanceToo()
    {
        var observation = Consistent();

        var violations = BankChecker.Check(observation with
        {
            Totals = [new TotalRead("final balances", 50, 60, 17_001), new TotalRead("trial balance", 50, 60, 17_000, Balanced: false)],
        });

        violations.Should().BeEquivalentTo([
            new Violation(BankChecker.TotalCheck, "final balances read a total of 17001 minor units; the commands allow [17000, 17000]"),
            new Violation(BankChecker.BalancedCheck, "trial balance: the trial balance says the currency is not balanced"),
        ]);
    }

    [Fact]
    public void Bounds_CountCommandsInFlightDuringTheReadAsUncertain()
    {
        BankOperation[] operations =
        [
            Fund(Ada, "fa"),
            Withdrawal, // acknowledged at 20
            new("d", OperationKind.Deposit, Bob, null, null, 500, "d", 15, 35, OperationOutcome.Acknowledged, 0),
            new("x", OperationKind.Withdrawal, Bob, null, null, 700, "x", 5, null, OperationOutcome.Indeterminate, 3),
            new("r", OperationKind.Deposit, Bob, null, null, 900, "r", 5, 6, OperationOutcome.Rejected, 0),
            new("late", OperationKind.Deposit, Bob, null, null, 1_000, "late", 40, 41, OperationOutcome.Acknowledged, 0),
            Transfer,
        ];

        BankChecker.Bounds(operations, 25, 30).Should().Be((10_000 - 3_000 - 700, 10_000 - 3_000 + 500));
        BankChecker.Bounds(operations, 50, 50).Should().Be((10_000 - 3_000 + 500 + 1_000 - 700, 10_000 - 3_000 + 500 + 1_000));
    }

    [Fact]
    public void InvalidIntegrity_UnexpectedRefusals_AndUnpublishedEvents_AreViolations()
    {
        var observation = Consistent() with
        {
            Integrity = [new IntegrityRead($"account {Ada}", false, "hash mismatch")],
            AnswerProblems = ["deposit 3.1 was refused: 404 /problems/account-not-found"],
        };
        var published = observation.Histories.Values.SelectMany(entries => entries).Skip(1).Select(entry => entry.EventId).ToHashSet();

        var violations = BankChecker.Check(observation with { PublishedEventIds = published });

        violations.Select(violation => violation.Check).Should().BeEquivalentTo([BankChecker.IntegrityCheck, BankChecker.AnswerCheck, BankChecker.KafkaCheck]);
    }

    private static readonly Guid HoldId = Guid.Parse("5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a02");

    /// <summary>
    /// Ada (100.00) holds 40.00 and captures 25.00 of it to Bob; Bob holds 10.00 and releases it; final reads agree,
    /// available included.
    /// </summary>
    private static BankObservation WithHolds()
    {
        var bobHold = Guid.Parse("5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a03");
        BankOperation[] operations =
        [
            Fund(Ada, "fa"), Fund(Bob, "fb"),
            new("h", OperationKind.HoldPlacement, Ada, null, null, 4_000, "ref h", 10, 20, OperationOutcome.Acknowledged, 0, HoldId: HoldId),
            new("c", OperationKind.HoldCapture, Ada, Bob, null, 2_500, "ref c", 30, 40, OperationOutcome.Acknowledged, 0, HoldId: HoldId),
            new("g", OperationKind.HoldPlacement, Bob, null, null, 1_000, "ref g", 10, 20, OperationOutcome.Acknowledged, 0, HoldId: bobHold),
            new("r", OperationKind.HoldRelease, Bob, null, null, 1_000, "ref r", 30, 40, OperationOutcome.Acknowledged, 0, HoldId: bobHold),
        ];
        return new BankObservation(
            [new BankAccount(Ada, 0), new BankAccount(Bob, 0)],
            operations,
            [new TotalRead("final balances", 50, 60, 20_000)],
            [new BalanceRead("final", Ada, 7_500, 7_500), new BalanceRead("final", Bob, 12_500, 12_500)],
            new Dictionary<Guid, IReadOnlyList<HistoryEntry>>
            {
                [Ada] =
                [
                    Entry(Ada, 1, 0, 0, "AccountCreated"), Entry(Ada, 2, 10_000, 10_000, "MoneyDeposited", "ref fa"),
                    Entry(Ada, 3, 0, 10_000, "HoldPlaced", "ref h") with { HoldId = HoldId },
                    Entry(Ada, 4, -2_500, 7_500, "HoldCaptured", "ref c") with { HoldId = HoldId },
                ],
                [Bob] =
                [
                    Entry(Bob, 1, 0, 0, "AccountCreated"), Entry(Bob, 2, 10_000, 10_000, "MoneyDeposited", "ref fb"),
                    Entry(Bob, 3, 0, 10_000, "HoldPlaced", "ref g") with { HoldId = bobHold },
                    Entry(Bob, 4, 2_500, 12_500, "HoldCaptured", "ref c") with { HoldId = HoldId },
                    Entry(Bob, 5, 0, 12_500, "HoldReleased") with { HoldId = bobHold },
                ],
            },
            [new IntegrityRead("ledger", true, null)],
            []);
    }

    [Fact]
    public void HoldsPlacedCapturedAndReleased_AsCommanded_HaveNoViolations() => BankChecker.Check(WithHolds()).Should().BeEmpty();

    [Fact]
    public void CaptureOutOfTheLedger_CountsAgainstTheTotalLikeAWithdrawal()
    {
        var capture = new BankOperation("c", OperationKind.HoldCapture, Ada, null, null, 2_500, "c", 30, 40, OperationOutcome.Acknowledged, 0, HoldId: HoldId);
        var toBob = capture with { ToAccountId = Bob };

        BankChecker.Bounds([capture, toBob], 50, 50).Should().Be((-2_500, -2_500));
    }

    [Fact]
    public void CaptureOnOneSideOnly_OrReleaseRecordedTwice_AreViolations()
    {
        var observation = WithHolds();
        var bob = observation.Histories[Bob].Where(entry => !(entry.Type == "HoldCaptured")).ToList();
        bob.Add(observation.Histories[Bob].Single(entry => entry.Type == "HoldReleased") with { Version = 6, EventId = Guid.NewGuid() });

        var violations = BankChecker.Check(observation with { Histories = new Dictionary<Guid, IReadOnlyList<HistoryEntry>>(observation.Histories) { [Bob] = bob } });

        violations.Should().Contain(violation => violation.Detail.StartsWith("acknowledged holdcapture c is in the history 1 and 0 time(s)", StringComparison.Ordinal))
            .And.Contain(violation => violation.Detail.StartsWith("acknowledged holdrelease r is in the history 2 time(s)", StringComparison.Ordinal));
    }

    [Fact]
    public void AvailableBelowZero_IsAViolation()
    {
        var observation = WithHolds();

        var violations = BankChecker.Check(observation with { Balances = [.. observation.Balances, new BalanceRead("as-of x", Ada, 1_000, -1)] });

        violations.Should().ContainSingle().Which.Should().Be(new Violation(BankChecker.AvailabilityCheck, $"as-of x available of {Ada} is -1, below 0"));
    }
}
