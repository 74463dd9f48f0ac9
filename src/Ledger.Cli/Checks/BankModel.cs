namespace Ledger.Cli.Checks;

internal enum OperationKind
{
    Deposit,
    Withdrawal,
    Transfer,

    /// <summary>A hold placed: no money moves, what is available shrinks.</summary>
    HoldPlacement,

    /// <summary>An open hold captured (in part or in full): out of the ledger, or to <see cref="BankOperation.ToAccountId"/>.</summary>
    HoldCapture,

    /// <summary>An open hold released: no money moves.</summary>
    HoldRelease,
}

/// <summary>What the client finally knows of a command: it took effect, it was refused, or it cannot tell.</summary>
internal enum OperationOutcome
{
    Acknowledged,
    Rejected,
    Indeterminate,
}

/// <summary>An account the run opened: its overdraft limit, in minor units of the run's currency.</summary>
internal sealed record BankAccount(Guid AccountId, long OverdraftLimitMinor);

/// <summary>
/// One command as the client saw it. Times are the client's monotonic clock (<see cref="System.Diagnostics.Stopwatch"/>
/// ticks): <see cref="InvokedAt"/> before the first attempt was sent, <see cref="CompletedAt"/> when the definite answer
/// arrived (null when there was none). <see cref="Setup"/> marks the funding deposits made before the workload.
/// <see cref="HoldId"/> names the hold of a hold command; <see cref="AmountMinor"/> is what a placement holds or a capture takes.
/// </summary>
internal sealed record BankOperation(
    string OperationId,
    OperationKind Kind,
    Guid AccountId,
    Guid? ToAccountId,
    Guid? TransferId,
    long AmountMinor,
    string Reference,
    long InvokedAt,
    long? CompletedAt,
    OperationOutcome Outcome,
    int Retries,
    bool Setup = false,
    Guid? HoldId = null)
{
    /// <summary>
    /// What the command does to the sum of the run's balances: transfers (and captures to an account) move money inside it,
    /// holds placed or released move none, a capture out of the ledger takes money out like a withdrawal.
    /// </summary>
    public long TotalDeltaMinor => Kind switch
    {
        OperationKind.Deposit => AmountMinor,
        OperationKind.Withdrawal => -AmountMinor,
        OperationKind.HoldCapture when ToAccountId is null => -AmountMinor,
        _ => 0,
    };
}

/// <summary>
/// A read of the sum of the run's balances, taken between <see cref="StartedAt"/> and <see cref="EndedAt"/> (client
/// monotonic ticks): a trial-balance read (minus the currency's total before the run) or the final sum of the accounts.
/// <see cref="Balanced"/> is the trial balance's own verdict for the currency (true for other sources).
/// </summary>
internal sealed record TotalRead(string Source, long StartedAt, long EndedAt, long TotalMinor, bool Balanced = true);

/// <summary>A balance seen for one account: as of an instant, or the final one; with what was available then, when the read shows it.</summary>
internal sealed record BalanceRead(string Source, Guid AccountId, long BalanceMinor, long? AvailableMinor = null);

/// <summary>One history entry of a run's account, amounts signed (credits positive) in minor units; the hold it concerns, if any.</summary>
internal sealed record HistoryEntry(Guid AccountId, long Version, Guid EventId, string Type, long AmountMinor, long BalanceAfterMinor,
    Guid? TransferId, string? Reference, Guid? HoldId = null);

/// <summary>An integrity answer: the ledger's (<c>Scope</c> "ledger") or one account's.</summary>
internal sealed record IntegrityRead(string Scope, bool Valid, string? Problem);

/// <summary>Everything a run observed, and nothing else: the checker decides from this alone.</summary>
internal sealed record BankObservation(
    IReadOnlyList<BankAccount> Accounts,
    IReadOnlyList<BankOperation> Operations,
    IReadOnlyList<TotalRead> Totals,
    IReadOnlyList<BalanceRead> Balances,
    IReadOnlyDictionary<Guid, IReadOnlyList<HistoryEntry>> Histories,
    IReadOnlyList<IntegrityRead> Integrity,
    IReadOnlyList<string> AnswerProblems,
    IReadOnlySet<Guid>? PublishedEventIds = null);

/// <summary>One broken invariant: which check, and what exactly was seen.</summary>
internal sealed record Violation(string Check, string Detail);
