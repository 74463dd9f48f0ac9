using System.Text.Json.Serialization;
using Ledger.Api.Accounts;
using Ledger.Domain.Accounts;
using Ledger.Domain.Money;
using Ledger.EventStore.Audit;

namespace Ledger.Api.Holds;

/// <summary>
/// A hold as the HTTP API shows it, amounts in major units. <see cref="Account"/> is the account right after the command
/// that answered with this view (placement, capture, release); reads leave it out.
/// </summary>
public sealed record HoldView(
    Guid HoldId,
    Guid AccountId,
    decimal Amount,
    string Currency,
    string? Reference,
    DateTimeOffset? ExpiresAt,
    string Purpose,
    Guid? ToAccountId,
    string? RequestedBy,
    string Status,
    DateTimeOffset PlacedAt,
    decimal? CapturedAmount,
    Guid? CapturedToAccountId,
    string? ApprovedBy,
    string? ReleaseReason,
    string? RejectedBy,
    DateTimeOffset? ClosedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] AccountView? Account = null)
{
    public static HoldView From(Hold hold, Account? account = null)
    {
        ArgumentNullException.ThrowIfNull(hold);
        var currency = Domain.Money.Currency.Find(hold.Currency);
        return new HoldView(hold.HoldId, hold.AccountId, MinorUnits.ToMajor(hold.AmountMinor, currency), hold.Currency, hold.Reference,
            hold.ExpiresAt?.ToUniversalTime(), HashChain.PurposeName(hold.Purpose), hold.ToAccountId, hold.RequestedBy,
            hold.Status.ToString().ToLowerInvariant(), hold.PlacedAt.ToUniversalTime(),
            hold.CapturedMinor is { } captured ? MinorUnits.ToMajor(captured, currency) : null, hold.CapturedToAccountId, hold.ApprovedBy,
            hold.ReleaseReason, hold.RejectedBy, hold.ClosedAt?.ToUniversalTime(), account is null ? null : AccountView.From(account));
    }

    public static string LocationOf(Guid accountId, Guid holdId) => $"/api/v1/accounts/{accountId}/holds/{holdId}";
}

/// <summary>
/// The write path of every hold command: in one group commit, lock the accounts (the hold's, and a capture's destination),
/// look the hold up, decide, append, and store the hold as its events leave it.
/// </summary>
public sealed class HoldWriter(Infrastructure.AccountWriter writer)
{
    public Task<HoldView> RunAsync(IReadOnlyList<Guid> accountIds, Guid holdId, Func<Infrastructure.AccountBook, DateTimeOffset, Infrastructure.AccountDecision> decide,
        CancellationToken cancellationToken) =>
        writer.RunAsync<HoldView>(accountIds, receiptId: null, decide, cancellationToken, holdId);

    /// <summary>The open or closed hold <paramref name="holdId"/> of <paramref name="accountId"/>, as the batch has it; 404 otherwise.</summary>
    public static Hold Find(Infrastructure.AccountBook book, Guid accountId, Guid holdId)
    {
        ArgumentNullException.ThrowIfNull(book);
        return book.FindHold(holdId) is { } hold && hold.AccountId == accountId
            ? hold
            : throw NotFound(accountId, holdId);
    }

    public static Infrastructure.ProblemException NotFound(Guid accountId, Guid holdId) =>
        new(Infrastructure.Problems.HoldNotFound, $"Account {accountId} has no hold {holdId}.");

    /// <summary>The decision for one event of a hold, answered with the hold and the source account after it.</summary>
    public static Infrastructure.AppendDecision Decision(Infrastructure.AccountBook book, Hold? hold, IAccountEvent @event, Guid accountId,
        Guid? toAccountId = null)
    {
        ArgumentNullException.ThrowIfNull(book);
        var after = AccountDecider.EvolveHold(hold, @event);
        var account = AccountDecider.Evolve(book.Find(accountId), @event);
        IReadOnlyList<(Guid, IAccountEvent)> events = toAccountId is { } to ? [(accountId, @event), (to, @event)] : [(accountId, @event)];
        return new Infrastructure.AppendDecision(events, Receipt: null, HoldView.From(after, account));
    }
}
