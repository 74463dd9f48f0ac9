using JasperFx.Events;
using Ledger.Domain.Accounts;
using Marten.Events.Aggregation;

namespace Ledger.EventStore.Accounts;

/// <summary>
/// Keeps the <see cref="Account"/> document (the account read model and the write-side snapshot) in the same
/// transaction as the append. It delegates to the domain's own <see cref="AccountDecider.Evolve"/>, so the read model
/// and the decisions can never disagree, and it takes every value from the events, never from the clock.
/// </summary>
public sealed class AccountProjection : SingleStreamProjection<Account, Guid>
{
    public override Account Evolve(Account? snapshot, Guid id, IEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.Data is not IAccountEvent accountEvent)
        {
            throw new InvalidOperationException($"Event {e.EventTypeName} in account stream {id} is not an account event.");
        }

        return AccountDecider.Evolve(snapshot, accountEvent);
    }
}
