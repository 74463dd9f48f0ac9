using System.Text.Json.Serialization;
using Ledger.Api.Accounts;
using Ledger.Api.Infrastructure;
using Ledger.Domain.Accounts;
using Ledger.Domain.Money;

namespace Ledger.Api.Approvals;

/// <summary>
/// A withdrawal or transfer that waits for a second person (four eyes), as the HTTP API shows it. Its id is the id of the
/// hold that reserves its amount on the source account; for a transfer it is also the transfer id, under which the executed
/// transfer is found (<c>GET /api/v1/transfers/{id}</c>). <see cref="Status"/>: pending, approved or rejected.
/// </summary>
public sealed record ApprovalView(
    Guid ApprovalId,
    string Kind,
    Guid AccountId,
    Guid? ToAccountId,
    decimal Amount,
    string Currency,
    string? Reference,
    string Status,
    string? RequestedBy,
    DateTimeOffset RequestedAt,
    string? DecidedBy,
    DateTimeOffset? DecidedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] AccountView? Account = null) : IAnswerStatus
{
    public const string Pending = "pending";
    public const string Approved = "approved";
    public const string Rejected = "rejected";

    [JsonIgnore]
    public int StatusCode => Status == Pending ? StatusCodes.Status202Accepted : StatusCodes.Status200OK;

    [JsonIgnore]
    public string? Location => Status == Pending ? LocationOf(ApprovalId) : null;

    public static ApprovalView From(Hold hold, Account? account = null)
    {
        ArgumentNullException.ThrowIfNull(hold);
        Ledger.Domain.Invariant.Assert(hold.AwaitsApproval, $"Hold {hold.HoldId} is not a movement awaiting approval.");
        var currency = Domain.Money.Currency.Find(hold.Currency);
        var status = hold.Status switch
        {
            HoldStatus.Open => Pending,
            HoldStatus.Captured => Approved,
            _ => Rejected,
        };
        return new ApprovalView(hold.HoldId, hold.Purpose == HoldPurpose.TransferApproval ? "transfer" : "withdrawal", hold.AccountId,
            hold.ToAccountId, MinorUnits.ToMajor(hold.AmountMinor, currency), hold.Currency, hold.Reference, status, hold.RequestedBy,
            hold.PlacedAt.ToUniversalTime(), hold.ApprovedBy ?? hold.RejectedBy, hold.ClosedAt?.ToUniversalTime(),
            account is null ? null : AccountView.From(account));
    }

    public static string LocationOf(Guid approvalId) => $"/api/v1/approvals/{approvalId}";
}
