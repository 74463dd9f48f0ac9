using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Ledger.Contracts.V1;
using Ledger.Domain.Money;
using Ledger.Messaging.Consumers;

namespace Ledger.Fraud;

public enum MovementKind
{
    /// <summary>A withdrawal, the debit leg of a transfer or a captured hold: money leaving the account.</summary>
    Debit,

    /// <summary>A deposit. Credit legs of transfers are not deposits for these rules.</summary>
    Deposit,
}

/// <summary>A movement of money the fraud rules look at, in minor units, at its event time truncated to the microsecond.</summary>
public sealed record FraudMovement(Guid EventId, Guid AccountId, MovementKind Kind, long AmountMinor, string Currency, DateTimeOffset OccurredAt)
{
    /// <summary>
    /// The movement an account event carries, or null for events that move no money out of or into the account for these
    /// rules (account creation, the credit leg of a transfer or of a capture, freezes, closings, holds placed or released).
    /// Throws <see cref="PoisonMessageException"/> for an amount that is not a positive decimal with at most the digits of
    /// a known currency.
    /// </summary>
    public static FraudMovement? From(AccountEventMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.Event switch
        {
            MoneyWithdrawnV1 withdrawn => Create(message, MovementKind.Debit, withdrawn.Amount, withdrawn.Currency),
            MoneyTransferredV1 { Direction: MoneyTransferredV1.Debit } transfer => Create(message, MovementKind.Debit, transfer.Amount, transfer.Currency),
            MoneyTransferredV1 { Direction: MoneyTransferredV1.Credit } => null,
            MoneyTransferredV1 transfer => throw new PoisonMessageException($"Transfer direction '{transfer.Direction}' is neither debit nor credit."),
            MoneyDepositedV1 deposited => Create(message, MovementKind.Deposit, deposited.Amount, deposited.Currency),
            // A captured hold is the moment money leaves the account (out of the ledger, or to another account: then its
            // credit leg is, like a transfer's, no deposit). Placing or releasing a hold moves nothing.
            HoldCapturedV1 { Direction: HoldCapturedV1.Debit } captured => Create(message, MovementKind.Debit, captured.Amount, captured.Currency),
            HoldCapturedV1 { Direction: HoldCapturedV1.Credit } => null,
            HoldCapturedV1 captured => throw new PoisonMessageException($"Capture direction '{captured.Direction}' is neither debit nor credit."),
            _ => null,
        };
    }

    /// <summary>PostgreSQL keeps microseconds; cutting the rest here makes stored and fresh movements compare alike.</summary>
    public static DateTimeOffset ToMicroseconds(DateTimeOffset instant)
    {
        var utc = instant.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - utc.Ticks % TimeSpan.TicksPerMicrosecond, TimeSpan.Zero);
    }

    private static FraudMovement Create(AccountEventMessage message, MovementKind kind, string amount, string currencyCode)
    {
        if (!Domain.Money.Currency.TryFind(currencyCode, out var currency))
        {
            throw new PoisonMessageException($"Currency '{currencyCode}' is not a known ISO 4217 currency.");
        }

        if (!decimal.TryParse(amount, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var major)
            || !MinorUnits.TryFromMajor(major, currency, out var minor) || minor <= 0)
        {
            throw new PoisonMessageException($"Amount '{amount}' is not a positive {currencyCode} amount with at most {currency.Exponent} decimals.");
        }

        return new FraudMovement(message.EventId, message.AccountId, kind, minor, currency.Code, ToMicroseconds(message.Event.OccurredAt));
    }
}

/// <summary>An alert as stored and published; <see cref="AlertId"/> is a function of the rule and the event ids.</summary>
public sealed record FraudAlert(
    Guid AlertId,
    string Rule,
    Guid AccountId,
    IReadOnlyList<Guid> EventIds,
    long AmountMinor,
    string Currency,
    DateTimeOffset DetectedAt,
    DateTimeOffset OccurredAt)
{
    /// <summary>The amount in major units with exactly the currency's digits, as in every contract.</summary>
    public string Amount => MinorUnits.Format(AmountMinor, Domain.Money.Currency.Find(Currency));

    public FraudAlertV1 ToContract() => new(AlertId, Rule, AccountId, EventIds, Amount, Currency, DetectedAt, OccurredAt);
}

/// <summary>
/// The fraud rules as pure functions of a new movement and the account's history around it, in event time. Each rule
/// reads only the movements of the same account and currency; history may be a superset of the window, the rules
/// apply the exact bounds. Alert ids depend only on the rule and the set of event ids, so evaluating the same facts
/// again (redelivery, a second consumer during a rebalance) yields the same id, which the store keeps once.
/// </summary>
public static class FraudRules
{
    public const string LargeDebit = "large-debit";
    public const string Velocity = "velocity";
    public const string DepositDrain = "deposit-drain";

    /// <summary>A debit at or above its currency's threshold; a currency without a threshold never triggers.</summary>
    public static FraudAlert? LargeDebitAlert(FraudMovement debit, LargeDebitOptions options, DateTimeOffset detectedAt)
    {
        ArgumentNullException.ThrowIfNull(debit);
        ArgumentNullException.ThrowIfNull(options);
        if (debit.Kind != MovementKind.Debit || !options.Thresholds.TryGetValue(debit.Currency, out var threshold))
        {
            return null;
        }

        var major = MinorUnits.ToMajor(debit.AmountMinor, Currency.Find(debit.Currency));
        return major >= threshold ? Alert(LargeDebit, debit.AccountId, [debit], debit.AmountMinor, debit.Currency, detectedAt, debit.OccurredAt) : null;
    }

    /// <summary>
    /// The window ending at a debit <c>e</c> is every debit of the account with <c>occurredAt</c> in
    /// <c>(e.occurredAt − window, e.occurredAt]</c>. A window holding exactly N+1 debits raises one alert, keyed by those
    /// debits: the count has just exceeded N. Windows holding more (the burst goes on) raise nothing more, so a burst
    /// yields one alert, not one per debit. The new debit can only change windows that contain it, those ending at debits
    /// in <c>[d.occurredAt, d.occurredAt + window)</c>: in order that is its own window only; a debit arriving late is
    /// evaluated against its own window and can also complete later windows. <paramref name="history"/> must hold the
    /// account's debits in <c>(d − window, d + window)</c>; the new debit is added if absent.
    /// </summary>
    public static IReadOnlyList<FraudAlert> VelocityAlerts(FraudMovement debit, IEnumerable<FraudMovement> history, VelocityOptions options,
        DateTimeOffset detectedAt)
    {
        ArgumentNullException.ThrowIfNull(debit);
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(options);
        if (debit.Kind != MovementKind.Debit)
        {
            return [];
        }

        var debits = Related(debit, history.Append(debit), MovementKind.Debit)
            .Where(other => other.OccurredAt > debit.OccurredAt - options.Window && other.OccurredAt < debit.OccurredAt + options.Window)
            .ToList();
        var alerts = new List<FraudAlert>();
        foreach (var end in debits.Where(other => other.OccurredAt >= debit.OccurredAt))
        {
            var window = debits.Where(other => other.OccurredAt > end.OccurredAt - options.Window && other.OccurredAt <= end.OccurredAt).ToList();
            if (window.Count == options.DebitsMax + 1)
            {
                var alert = Alert(Velocity, debit.AccountId, window, Sum(window), debit.Currency, detectedAt, end.OccurredAt);
                // Debits at the same instant end the same window: one alert for it.
                if (!alerts.Exists(existing => existing.AlertId == alert.AlertId))
                {
                    alerts.Add(alert);
                }
            }
        }

        return alerts;
    }

    /// <summary>
    /// A deposit D at t0 is drained when the account's debits in <c>(t0, t0 + window]</c>, taken in event-time order, add up
    /// to at least Percent % of D. The alert names D and the debits up to and including the one that crossed the line; its
    /// amount is their sum and its time the crossing debit's. The caller raises it once per deposit (see
    /// <see cref="DrainCandidates"/>). <paramref name="debits"/> may be a superset; the window is applied here.
    /// </summary>
    public static FraudAlert? DepositDrainAlert(FraudMovement deposit, IEnumerable<FraudMovement> debits, DepositDrainOptions options,
        DateTimeOffset detectedAt)
    {
        ArgumentNullException.ThrowIfNull(deposit);
        ArgumentNullException.ThrowIfNull(debits);
        ArgumentNullException.ThrowIfNull(options);
        if (deposit.Kind != MovementKind.Deposit)
        {
            return null;
        }

        var line = options.Percent * deposit.AmountMinor;
        var drained = new List<FraudMovement>();
        var sum = 0L;
        foreach (var debit in Related(deposit, debits, MovementKind.Debit)
                     .Where(debit => debit.OccurredAt > deposit.OccurredAt && debit.OccurredAt <= deposit.OccurredAt + options.Window))
        {
            drained.Add(debit);
            sum = checked(sum + debit.AmountMinor);
            if (sum * 100m >= line)
            {
                return Alert(DepositDrain, deposit.AccountId, [deposit, .. drained], sum, deposit.Currency, detectedAt, debit.OccurredAt);
            }
        }

        return null;
    }

    /// <summary>The deposits whose drain window <c>(t0, t0 + window]</c> holds the debit: <c>t0</c> in <c>[t − window, t)</c>.</summary>
    public static IEnumerable<FraudMovement> DrainCandidates(FraudMovement debit, IEnumerable<FraudMovement> deposits, DepositDrainOptions options)
    {
        ArgumentNullException.ThrowIfNull(debit);
        ArgumentNullException.ThrowIfNull(options);
        return Related(debit, deposits, MovementKind.Deposit)
            .Where(deposit => deposit.OccurredAt < debit.OccurredAt && debit.OccurredAt <= deposit.OccurredAt + options.Window);
    }

    /// <summary>
    /// A name-based UUID: the first 16 bytes of SHA-256 over <c>rule</c>, then each event id (lower-case, hyphenated,
    /// sorted ordinally), separated by line feeds, with the version nibble 5 and the RFC 4122 variant, like a v5 UUID.
    /// The order in which events were seen does not matter.
    /// </summary>
    public static Guid AlertId(string rule, IEnumerable<Guid> eventIds)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(rule);
        ArgumentNullException.ThrowIfNull(eventIds);
        var ids = eventIds.Select(id => id.ToString("D")).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', ids.Prepend(rule))));
        var bytes = hash.AsSpan(0, 16);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }

    private static FraudAlert Alert(string rule, Guid accountId, IReadOnlyList<FraudMovement> movements, long amountMinor, string currency,
        DateTimeOffset detectedAt, DateTimeOffset occurredAt)
    {
        var eventIds = movements.Select(movement => movement.EventId).ToList();
        return new FraudAlert(AlertId(rule, eventIds), rule, accountId, eventIds, amountMinor, currency, detectedAt, occurredAt);
    }

    /// <summary>Movements of the same account, currency and kind, once each, in event-time order (ties by event id).</summary>
    private static IEnumerable<FraudMovement> Related(FraudMovement subject, IEnumerable<FraudMovement> movements, MovementKind kind) =>
        movements.Where(movement => movement.Kind == kind && movement.AccountId == subject.AccountId
                                    && string.Equals(movement.Currency, subject.Currency, StringComparison.Ordinal))
            .DistinctBy(movement => movement.EventId)
            .OrderBy(movement => movement.OccurredAt)
            .ThenBy(movement => movement.EventId.ToString("D"), StringComparer.Ordinal);

    private static long Sum(IEnumerable<FraudMovement> movements) =>
        movements.Aggregate(0L, (sum, movement) => checked(sum + movement.AmountMinor));
}
