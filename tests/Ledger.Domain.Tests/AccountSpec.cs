using Ledger.Domain.Accounts;

namespace Ledger.Domain.Tests;

/// <summary>
/// Given events / when command / then event (or rejection) for commands that touch one account.
/// The given history is folded with <see cref="AccountDecider.Evolve"/>, exactly as the event store rebuilds state.
/// </summary>
public sealed class AccountSpec
{
    private readonly Account? _state;

    private AccountSpec(Account? state) => _state = state;

    /// <summary>The account as folded from its history; no history means the account does not exist yet.</summary>
    public static AccountSpec Given(params IAccountEvent[] history) => new(AccountDecider.Fold(history));

    /// <summary>For states that no history of valid events can produce (a forged version or balance).</summary>
    public static AccountSpec GivenState(Account state) => new(state);

    public DecisionOutcome When(OpenAccount command) =>
        new(() => AccountDecider.Decide(command), decided => AccountDecider.Evolve(_state, decided));

    public DecisionOutcome When(Deposit command) =>
        new(() => AccountDecider.Decide(command, Existing), decided => AccountDecider.Evolve(Existing, decided));

    public DecisionOutcome When(Withdraw command) =>
        new(() => AccountDecider.Decide(command, Existing), decided => AccountDecider.Evolve(Existing, decided));

    public DecisionOutcome When(FreezeAccount command) =>
        new(() => AccountDecider.Decide(command, Existing), decided => AccountDecider.Evolve(Existing, decided));

    public DecisionOutcome When(UnfreezeAccount command) =>
        new(() => AccountDecider.Decide(command, Existing), decided => AccountDecider.Evolve(Existing, decided));

    public DecisionOutcome When(CloseAccount command) =>
        new(() => AccountDecider.Decide(command, Existing), decided => AccountDecider.Evolve(Existing, decided));

    public DecisionOutcome When(PlaceHold command) =>
        new(() => AccountDecider.Decide(command, Existing), decided =>
        {
            AccountDecider.Evolve(Existing, decided);
            AccountDecider.EvolveHold(null, decided);
        });

    private Account Existing =>
        _state ?? throw new InvalidOperationException("The spec needs a history that creates the account.");
}

/// <summary>Given two histories (source and destination) / when transfer / then event or rejection.</summary>
public sealed class TransferSpec
{
    private readonly Account _from;
    private readonly Account _to;

    private TransferSpec(Account from, Account to)
    {
        _from = from;
        _to = to;
    }

    public static TransferSpec Given(IAccountEvent[] fromHistory, IAccountEvent[] toHistory) =>
        new(FoldExisting(fromHistory), FoldExisting(toHistory));

    public static TransferSpec GivenStates(Account from, Account to) => new(from, to);

    /// <summary>Both sides are one and the same account, as a handler would load it for a transfer to itself.</summary>
    public static TransferSpec GivenOneAccount(params IAccountEvent[] history)
    {
        var account = FoldExisting(history);
        return new(account, account);
    }

    public DecisionOutcome When(Transfer command) =>
        new(() => AccountDecider.Decide(command, _from, _to), decided =>
        {
            // The one event is appended to both streams, so both sides must be able to apply it.
            AccountDecider.Evolve(_from, decided);
            AccountDecider.Evolve(_to, decided);
        });

    private static Account FoldExisting(IAccountEvent[] history) =>
        AccountDecider.Fold(history) ?? throw new InvalidOperationException("A transfer needs histories that create both accounts.");
}

/// <summary>The result of deciding one command: either the expected event or a refusal.</summary>
public sealed class DecisionOutcome
{
    private readonly Func<IAccountEvent> _decide;
    private readonly Action<IAccountEvent> _apply;

    internal DecisionOutcome(Func<IAccountEvent> decide, Action<IAccountEvent> apply)
    {
        _decide = decide;
        _apply = apply;
    }

    /// <summary>
    /// Asserts the decided event equals <paramref name="expected"/> field by field, then applies it to the given state:
    /// a decision whose event the account cannot apply would be a bug, not a success.
    /// </summary>
    public void Then(IAccountEvent expected)
    {
        var decided = _decide();
        decided.Should().Be(expected);
        _apply(decided);
    }

    public TRejection ThenRejects<TRejection>()
        where TRejection : Rejection =>
        _decide.Should().ThrowExactly<TRejection>().Which;

    public InvariantViolationException ThenViolatesInvariant() =>
        _decide.Should().ThrowExactly<InvariantViolationException>().Which;
}
