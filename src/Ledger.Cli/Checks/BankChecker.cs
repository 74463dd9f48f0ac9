namespace Ledger.Cli.Checks;

/// <summary>
/// The bank invariants (Jepsen's bank workload, adapted to a ledger with deposits and withdrawals), decided from a
/// <see cref="BankObservation"/> alone, so that they can be tested without HTTP:
/// <list type="number">
/// <item>every total read lies within what the commands known at that moment allow (<see cref="Totals"/>);</item>
/// <item>no balance seen anywhere is below minus the account's overdraft limit, and nothing seen available is below zero:
/// holds never took more than there was (<see cref="Overdrafts"/>);</item>
/// <item>every acknowledged command is in the history exactly once, a rejected one never, an indeterminate one at most once
/// (<see cref="Histories"/>), and nothing else is there;</item>
/// <item>the integrity answers are valid; with Kafka, every event of the run's accounts was published.</item>
/// </list>
/// </summary>
internal static class BankChecker
{
    public const string TotalCheck = "total";
    public const string BalancedCheck = "trial-balance";
    public const string OverdraftCheck = "overdraft";
    public const string AvailabilityCheck = "availability";
    public const string HistoryCheck = "history";
    public const string IntegrityCheck = "integrity";
    public const string AnswerCheck = "answers";
    public const string KafkaCheck = "kafka";

    /// <summary>Enough listed violations to diagnose; the count says how many there were in all.</summary>
    public const int ListedMax = 50;

    public static IReadOnlyList<Violation> Check(BankObservation observation)
    {
        ArgumentNullException.ThrowIfNull(observation);
        return
        [
            .. Totals(observation),
            .. Overdrafts(observation),
            .. Histories(observation),
            .. observation.Integrity.Where(read => !read.Valid)
                .Select(read => new Violation(IntegrityCheck, $"{read.Scope}: not valid ({read.Problem ?? "no problem given"})")),
            .. observation.AnswerProblems.Select(problem => new Violation(AnswerCheck, problem)),
            .. Published(observation),
        ];
    }

    /// <summary>
    /// A command acknowledged before a read started is in it; one invoked after the read ended is not; any other that was not
    /// refused may or may not be. So the total lies between the certain sum less the uncertain withdrawals and the certain
    /// sum plus the uncertain deposits.
    /// </summary>
    public static IEnumerable<Violation> Totals(BankObservation observation)
    {
        ArgumentNullException.ThrowIfNull(observation);
        foreach (var read in observation.Totals)
        {
            var (lower, upper) = Bounds(observation.Operations, read.StartedAt, read.EndedAt);
            if (read.TotalMinor < lower || read.TotalMinor > upper)
            {
                yield return new Violation(TotalCheck, $"{read.Source} read a total of {read.TotalMinor} minor units; the commands allow [{lower}, {upper}]");
            }

            if (!read.Balanced)
            {
                yield return new Violation(BalancedCheck, $"{read.Source}: the trial balance says the currency is not balanced");
            }
        }
    }

    public static (long Lower, long Upper) Bounds(IReadOnlyList<BankOperation> operations, long startedAt, long endedAt)
    {
        ArgumentNullException.ThrowIfNull(operations);
        long certain = 0, lower = 0, upper = 0;
        foreach (var operation in operations)
        {
            if (operation.Outcome == OperationOutcome.Rejected || operation.TotalDeltaMinor == 0)
            {
                continue;
            }

            if (operation is { Outcome: OperationOutcome.Acknowledged, CompletedAt: { } completed } && completed < startedAt)
            {
                certain = checked(certain + operation.TotalDeltaMinor);
            }
            else if (operation.InvokedAt <= endedAt)
            {
                lower = checked(lower + Math.Min(0, operation.TotalDeltaMinor));
                upper = checked(upper + Math.Max(0, operation.TotalDeltaMinor));
            }
        }

        return (checked(certain + lower), checked(certain + upper));
    }

    public static IEnumerable<Violation> Overdrafts(BankObservation observation)
    {
        ArgumentNullException.ThrowIfNull(observation);
        var limits = observation.Accounts.ToDictionary(account => account.AccountId, account => account.OverdraftLimitMinor);
        foreach (var read in observation.Balances)
        {
            if (limits.TryGetValue(read.AccountId, out var limit) && read.BalanceMinor < -limit)
            {
                yield return new Violation(OverdraftCheck, $"{read.Source} balance of {read.AccountId} is {read.BalanceMinor}, below -{limit}");
            }

            if (read.AvailableMinor is < 0)
            {
                yield return new Violation(AvailabilityCheck, $"{read.Source} available of {read.AccountId} is {read.AvailableMinor}, below 0");
            }
        }

        foreach (var entry in observation.Histories.Values.SelectMany(entries => entries))
        {
            if (limits.TryGetValue(entry.AccountId, out var limit) && entry.BalanceAfterMinor < -limit)
            {
                yield return new Violation(OverdraftCheck,
                    $"history of {entry.AccountId}: balance after version {entry.Version} is {entry.BalanceAfterMinor}, below -{limit}");
            }
        }
    }

    /// <summary>
    /// Matches entries to commands: deposits and withdrawals by reference on their account, transfers by transfer id on
    /// both accounts, hold commands by hold id and event type (a capture to an account on both). Also checks that each
    /// history adds up: every balance after is the previous one plus the amount.
    /// </summary>
    public static IEnumerable<Violation> Histories(BankObservation observation)
    {
        ArgumentNullException.ThrowIfNull(observation);
        var entries = observation.Histories.Values.SelectMany(list => list).ToList();
        var byReference = entries.Where(entry => entry.TransferId is null && entry.HoldId is null && entry.Reference is not null)
            .ToLookup(entry => (entry.AccountId, entry.Reference!));
        var byTransfer = entries.Where(entry => entry.TransferId is not null).ToLookup(entry => (entry.AccountId, entry.TransferId!.Value));
        var byHold = entries.Where(entry => entry.HoldId is not null).ToLookup(entry => (entry.AccountId, entry.HoldId!.Value, entry.Type));
        var matched = new HashSet<Guid>();
        foreach (var operation in observation.Operations)
        {
            var legs = operation.Kind switch
            {
                OperationKind.Transfer =>
                [
                    byTransfer[(operation.AccountId, operation.TransferId!.Value)].ToList(),
                    byTransfer[(operation.ToAccountId!.Value, operation.TransferId!.Value)].ToList(),
                ],
                OperationKind.HoldPlacement => [byHold[(operation.AccountId, operation.HoldId!.Value, "HoldPlaced")].ToList()],
                OperationKind.HoldRelease => [byHold[(operation.AccountId, operation.HoldId!.Value, "HoldReleased")].ToList()],
                OperationKind.HoldCapture when operation.ToAccountId is { } to =>
                [
                    byHold[(operation.AccountId, operation.HoldId!.Value, "HoldCaptured")].ToList(),
                    byHold[(to, operation.HoldId!.Value, "HoldCaptured")].ToList(),
                ],
                OperationKind.HoldCapture => [byHold[(operation.AccountId, operation.HoldId!.Value, "HoldCaptured")].ToList()],
                _ => new[] { byReference[(operation.AccountId, operation.Reference)].ToList() },
            };
            foreach (var violation in Legs(operation, legs))
            {
                yield return violation;
            }

            matched.UnionWith(legs.SelectMany(leg => leg).Select(entry => entry.EventId));
        }

        foreach (var entry in entries.Where(entry => entry.Type != "AccountCreated" && !matched.Contains(entry.EventId)))
        {
            yield return new Violation(HistoryCheck,
                $"history of {entry.AccountId}: version {entry.Version} ({entry.Type}, {entry.AmountMinor}) matches no command of the run");
        }

        foreach (var (accountId, history) in observation.Histories)
        {
            long balance = 0;
            foreach (var entry in history.OrderBy(entry => entry.Version))
            {
                balance = checked(balance + entry.AmountMinor);
                if (entry.BalanceAfterMinor != balance)
                {
                    yield return new Violation(HistoryCheck,
                        $"history of {accountId}: balance after version {entry.Version} is {entry.BalanceAfterMinor}, the amounts add up to {balance}");
                    break;
                }
            }

            var final = observation.Balances.LastOrDefault(read => read.Source == "final" && read.AccountId == accountId);
            if (final is not null && final.BalanceMinor != balance)
            {
                yield return new Violation(HistoryCheck, $"final balance of {accountId} is {final.BalanceMinor}, its history adds up to {balance}");
            }
        }
    }

    private static IEnumerable<Violation> Legs(BankOperation operation, List<HistoryEntry>[] legs)
    {
        var counts = legs.Select(leg => leg.Count).ToList();
        var allowed = operation.Outcome switch
        {
            OperationOutcome.Acknowledged => counts.All(count => count == 1),
            OperationOutcome.Rejected => counts.All(count => count == 0),
            _ => counts.All(count => count == 0) || counts.All(count => count == 1),
        };
        if (!allowed)
        {
            yield return new Violation(HistoryCheck,
                $"{operation.Outcome.ToString().ToLowerInvariant()} {operation.Kind.ToString().ToLowerInvariant()} {operation.OperationId} " +
                $"is in the history {string.Join(" and ", counts)} time(s)");
            yield break;
        }

        var expected = operation.Kind switch
        {
            OperationKind.Deposit => new[] { operation.AmountMinor },
            OperationKind.Withdrawal => [-operation.AmountMinor],
            OperationKind.HoldPlacement or OperationKind.HoldRelease => [0],
            _ => [-operation.AmountMinor, operation.AmountMinor],
        };
        for (var leg = 0; leg < legs.Length; leg++)
        {
            if (legs[leg] is [var entry] && entry.AmountMinor != expected[leg])
            {
                yield return new Violation(HistoryCheck,
                    $"{operation.OperationId} is recorded on {entry.AccountId} with {entry.AmountMinor}, not {expected[leg]}");
            }
        }
    }

    private static IEnumerable<Violation> Published(BankObservation observation)
    {
        if (observation.PublishedEventIds is not { } published)
        {
            yield break;
        }

        foreach (var entry in observation.Histories.Values.SelectMany(entries => entries).Where(entry => !published.Contains(entry.EventId)))
        {
            yield return new Violation(KafkaCheck, $"event {entry.EventId} (version {entry.Version} of {entry.AccountId}) was not published");
        }
    }
}
