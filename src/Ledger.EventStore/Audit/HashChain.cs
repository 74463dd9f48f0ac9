using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Ledger.Domain.Accounts;

namespace Ledger.EventStore.Audit;

/// <summary>
/// Tamper evidence for account streams: <c>hash(n) = SHA-256(hash(n-1) || canonical(event n))</c>, starting from 32 zero
/// bytes. The canonical form is specified in docs/audit.md precisely enough to recompute it in any language; this class
/// is the reference implementation and must not change without a new chain version.
/// </summary>
public static class HashChain
{
    public const int HashLength = 32;

    public static string Genesis { get; } = Convert.ToHexStringLower(new byte[HashLength]);

    /// <summary>
    /// The fields of one event that the chain covers, all facts recorded at append time. <see cref="Actor"/> is null for
    /// events appended before actors were recorded; it is then left out of the canonical form, so their links are unchanged.
    /// </summary>
    public sealed record Link(Guid AccountId, long Version, long Sequence, Guid EventId, IAccountEvent Event, Actor? Actor = null);

    public static string Next(string previousHashHex, Link link)
    {
        ArgumentNullException.ThrowIfNull(link);
        var previous = Convert.FromHexString(previousHashHex);
        if (previous.Length != HashLength)
        {
            throw new ArgumentException("A chain hash is 32 bytes in hex.", nameof(previousHashHex));
        }

        var canonical = Encoding.UTF8.GetBytes(Canonical(link));
        var input = new byte[HashLength + canonical.Length];
        previous.CopyTo(input, 0);
        canonical.CopyTo(input, HashLength);
        return Convert.ToHexStringLower(SHA256.HashData(input));
    }

    /// <summary>
    /// Compact JSON, keys in ordinal order at every level, members whose value is absent left out, strings escaped only
    /// where JSON requires it, integers in plain decimal, times as UTC <c>yyyy-MM-ddTHH:mm:ss.fffffffZ</c>.
    /// </summary>
    public static string Canonical(Link link)
    {
        ArgumentNullException.ThrowIfNull(link);
        var data = DataOf(link.Event);
        var builder = new StringBuilder(256);
        builder.Append("{\"accountId\":").Append(Quote(Uuid(link.AccountId)));
        if (link.Actor is { } actor)
        {
            builder.Append(",\"actor\":{\"role\":").Append(Quote(actor.Role)).Append(",\"subject\":").Append(Quote(actor.Subject)).Append('}');
        }

        builder.Append(",\"data\":");
        AppendObject(builder, data);
        builder.Append(",\"eventId\":").Append(Quote(Uuid(link.EventId)));
        builder.Append(",\"sequence\":").Append(link.Sequence.ToString(CultureInfo.InvariantCulture));
        builder.Append(",\"type\":").Append(Quote(AccountEventTypes.NameOf(link.Event)));
        builder.Append(",\"version\":").Append(link.Version.ToString(CultureInfo.InvariantCulture));
        builder.Append('}');
        return builder.ToString();
    }

    /// <summary>The event's facts as name/value pairs (string or long), exactly as history entries show them in <c>data</c>.</summary>
    public static SortedDictionary<string, object> DataOf(IAccountEvent @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        var data = new SortedDictionary<string, object>(StringComparer.Ordinal)
        {
            ["occurredAt"] = Time(@event.OccurredAt),
        };
        switch (@event)
        {
            case AccountCreated created:
                data["accountId"] = Uuid(created.AccountId);
                data["owner"] = created.Owner;
                data["currency"] = created.Currency;
                data["overdraftLimitMinor"] = created.OverdraftLimitMinor;
                break;
            case MoneyDeposited deposited:
                AddMovement(data, deposited.AccountId, deposited.AmountMinor, deposited.Currency, deposited.Reference);
                break;
            case MoneyWithdrawn withdrawn:
                AddMovement(data, withdrawn.AccountId, withdrawn.AmountMinor, withdrawn.Currency, withdrawn.Reference);
                break;
            case MoneyTransferred transfer:
                data["transferId"] = Uuid(transfer.TransferId);
                data["fromAccountId"] = Uuid(transfer.FromAccountId);
                data["toAccountId"] = Uuid(transfer.ToAccountId);
                data["amountMinor"] = transfer.AmountMinor;
                data["currency"] = transfer.Currency;
                AddIfPresent(data, "reference", transfer.Reference);
                break;
            case AccountFrozen frozen:
                data["accountId"] = Uuid(frozen.AccountId);
                data["reason"] = frozen.Reason;
                AddIfPresent(data, "alertId", frozen.AlertId is { } alertId ? Uuid(alertId) : null);
                break;
            case AccountUnfrozen unfrozen:
                data["accountId"] = Uuid(unfrozen.AccountId);
                data["reason"] = unfrozen.Reason;
                break;
            case AccountClosed closed:
                data["accountId"] = Uuid(closed.AccountId);
                AddIfPresent(data, "reason", closed.Reason);
                break;
            case HoldPlaced placed:
                data["holdId"] = Uuid(placed.HoldId);
                AddMovement(data, placed.AccountId, placed.AmountMinor, placed.Currency, placed.Reference);
                AddIfPresent(data, "expiresAt", placed.ExpiresAt is { } expiresAt ? Time(expiresAt) : null);
                data["purpose"] = PurposeName(placed.Purpose);
                AddIfPresent(data, "toAccountId", placed.ToAccountId is { } to ? Uuid(to) : null);
                AddIfPresent(data, "requestedBy", placed.RequestedBy);
                break;
            case HoldCaptured captured:
                data["holdId"] = Uuid(captured.HoldId);
                AddMovement(data, captured.AccountId, captured.AmountMinor, captured.Currency, captured.Reference);
                data["heldMinor"] = captured.HeldMinor;
                AddIfPresent(data, "toAccountId", captured.ToAccountId is { } capturedTo ? Uuid(capturedTo) : null);
                AddIfPresent(data, "approvedBy", captured.ApprovedBy);
                break;
            case HoldReleased released:
                data["holdId"] = Uuid(released.HoldId);
                AddMovement(data, released.AccountId, released.AmountMinor, released.Currency, reference: null);
                data["reason"] = released.Reason;
                AddIfPresent(data, "rejectedBy", released.RejectedBy);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(@event), @event.GetType().Name, "Not an account event.");
        }

        return data;
    }

    /// <summary>A hold's purpose as the chain, history and contracts spell it: <c>hold</c>, <c>withdrawal-approval</c>, <c>transfer-approval</c>.</summary>
    public static string PurposeName(HoldPurpose purpose) => purpose switch
    {
        HoldPurpose.Hold => "hold",
        HoldPurpose.WithdrawalApproval => "withdrawal-approval",
        HoldPurpose.TransferApproval => "transfer-approval",
        _ => throw new ArgumentOutOfRangeException(nameof(purpose), purpose, "Not a hold purpose."),
    };

    public static string Time(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static string Uuid(Guid id) => id.ToString("D", CultureInfo.InvariantCulture);

    private static void AddMovement(SortedDictionary<string, object> data, Guid accountId, long amountMinor, string currency, string? reference)
    {
        data["accountId"] = Uuid(accountId);
        data["amountMinor"] = amountMinor;
        data["currency"] = currency;
        AddIfPresent(data, "reference", reference);
    }

    private static void AddIfPresent(SortedDictionary<string, object> data, string name, string? value)
    {
        if (value is not null)
        {
            data[name] = value;
        }
    }

    private static void AppendObject(StringBuilder builder, SortedDictionary<string, object> data)
    {
        builder.Append('{');
        var first = true;
        foreach (var (name, value) in data)
        {
            builder.Append(first ? "" : ",").Append(Quote(name)).Append(':');
            builder.Append(value is long number ? number.ToString(CultureInfo.InvariantCulture) : Quote((string)value));
            first = false;
        }

        builder.Append('}');
    }

    /// <summary>JSON string with only the escapes JSON requires: quote, backslash and control characters.</summary>
    private static string Quote(string text)
    {
        var builder = new StringBuilder(text.Length + 2).Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\b': builder.Append("\\b"); break;
                case '\f': builder.Append("\\f"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                case < ' ': builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: builder.Append(c); break;
            }
        }

        return builder.Append('"').ToString();
    }
}
