using Ledger.Api.Infrastructure;
using Ledger.Domain.Accounts;
using Microsoft.Extensions.Options;

namespace Ledger.Api.Approvals;

/// <summary>The request's side of four eyes: whether a debit needs approval, and who is asking.</summary>
public sealed class FourEyes(IOptions<ApprovalOptions> options, LedgerSessions sessions)
{
    /// <summary>The subject of the request's token: recorded as the requester, refused as the approver.</summary>
    public string Requester => sessions.Actor().Subject;

    public bool Requires(Account account, long amountMinor)
    {
        ArgumentNullException.ThrowIfNull(account);
        return options.Value.Requires(account.CurrencyUnit, amountMinor);
    }
}
