using Ledger.Api.Infrastructure;
using Ledger.Domain.Accounts;
using Ledger.Domain.Money;

namespace Ledger.Api.Accounts;

/// <summary>
/// The write path shared by deposits and withdrawals: lock the account's stream, check the optional expected version,
/// convert the amount with the account's currency, decide, append and commit in one transaction.
/// </summary>
public sealed class AccountMovement(LedgerSessions sessions, CommandCommit commit, TimeProvider clock)
{
    public async Task<AccountView> ApplyAsync(Guid accountId, decimal amount, long? expectedVersion,
        Func<Account, long, DateTimeOffset, IAccountEvent> decide, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decide);
        await using var session = sessions.OpenWriteSession();
        // The row lock serialises writers of this account, so the decision below sees every committed event.
        var stream = await session.Events.FetchForExclusiveWriting<Account>(accountId, cancellationToken);
        var account = stream.Aggregate
                      ?? throw new ProblemException(Problems.AccountNotFound, $"Account {accountId} does not exist.");
        if (expectedVersion is { } expected && expected != account.Version)
        {
            throw new ProblemException(Problems.VersionMismatch,
                $"Account {accountId} is at version {account.Version}, not {expected} as given in If-Match.");
        }

        var amountMinor = Rules.ToMinor(amount, Currency.Find(account.Currency), "amount");
        var @event = decide(account, amountMinor, clock.GetUtcNow());
        stream.AppendOne(@event);
        var view = AccountView.From(AccountDecider.Evolve(account, @event));
        await commit.SaveAsync(session, view, cancellationToken);
        return view;
    }
}
