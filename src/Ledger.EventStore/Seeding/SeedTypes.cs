namespace Ledger.EventStore.Seeding;

public enum SeedPhase
{
    /// <summary>Deciding the whole history in memory, to know how many events and which accounts it has.</summary>
    Planning,

    /// <summary>Copying streams, events, entries and documents into the database, in one transaction.</summary>
    Writing,

    /// <summary>Rebuilding the async report projections over the new events, after the commit.</summary>
    CatchingUp,
}

/// <summary>Where a seed stands; the CLI's bar derives rates and estimates from it.</summary>
public sealed record SeedProgress(SeedPhase Phase, long Done, long Total, TimeSpan Elapsed);

/// <summary>
/// What a seed wrote. <see cref="Transfers"/>, <see cref="Deposits"/>, <see cref="Withdrawals"/> and the others count
/// accepted commands: a transfer is two events, one per account; <see cref="HoldsCaptured"/> counts captures and approvals
/// (two events when to another account); <see cref="HoldsReleased"/> releases, rejections and expiries; <see cref="Closures"/>
/// closings (the account settled to zero first, by a deposit or a withdrawal counted as such). <see cref="Rejected"/> counts
/// commands the domain refused, which wrote nothing. <see cref="FirstSequence"/> to <see cref="LastSequence"/> are the
/// global sequence numbers the events took.
/// </summary>
public sealed record SeedSummary(
    int Seed,
    long Accounts,
    long Events,
    long Transfers,
    long Deposits,
    long Withdrawals,
    long Freezes,
    long Unfreezes,
    long Closures,
    long HoldsPlaced,
    long HoldsCaptured,
    long HoldsReleased,
    long Rejected,
    long FirstSequence,
    long LastSequence,
    TimeSpan Elapsed)
{
    public double EventsPerSecond => Elapsed.TotalSeconds > 0 ? Events / Elapsed.TotalSeconds : 0;
}

/// <summary>The seed cannot be written: its accounts are already in the database. Nothing was written.</summary>
public sealed class SeedConflictException(string message) : Exception(message);
