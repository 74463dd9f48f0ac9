using Ledger.Domain.Accounts;

namespace Ledger.Domain.Tests;

/// <summary>Fixed ids, times and event builders shared by the domain tests. Nothing here reads a clock.</summary>
internal static class Facts
{
    /// <summary>The business time every command in these tests is decided at.</summary>
    public static readonly DateTimeOffset Now = new(2026, 3, 2, 14, 3, 0, TimeSpan.Zero);

    /// <summary>The time of the given history, distinct from <see cref="Now"/> so a test can tell them apart.</summary>
    public static readonly DateTimeOffset Opened = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    public static readonly Guid Alice = new("a11ce000-0000-4000-8000-000000000001");
    public static readonly Guid Bob = new("b0b00000-0000-4000-8000-000000000002");
    public static readonly Guid Carol = new("ca201000-0000-4000-8000-000000000003");
    public static readonly Guid TransferId = new("7a45f000-0000-4000-8000-000000000004");

    public static AccountCreated Created(Guid accountId, string currency = "EUR", long overdraftLimitMinor = 0) =>
        new(accountId, "Owner of " + accountId.ToString()[..4], currency, overdraftLimitMinor, Opened);

    public static MoneyDeposited Deposited(Guid accountId, long amountMinor, string currency = "EUR") =>
        new(accountId, amountMinor, currency, null, Opened);

    public static MoneyWithdrawn Withdrawn(Guid accountId, long amountMinor, string currency = "EUR") =>
        new(accountId, amountMinor, currency, null, Opened);

    public static readonly Guid HoldId = new("401d0000-0000-4000-8000-000000000005");

    public static AccountFrozen Frozen(Guid accountId, Guid? alertId = null) => new(accountId, "suspected fraud", alertId, Opened);

    public static AccountClosed Closed(Guid accountId) => new(accountId, null, Opened);

    public static HoldPlaced Held(Guid accountId, long amountMinor, DateTimeOffset? expiresAt = null, Guid? holdId = null) =>
        new(holdId ?? HoldId, accountId, amountMinor, "EUR", "card 4242", expiresAt, HoldPurpose.Hold, null, null, Opened);

    public static MoneyTransferred Transferred(Guid fromAccountId, Guid toAccountId, long amountMinor, string currency = "EUR") =>
        new(TransferId, fromAccountId, toAccountId, amountMinor, currency, null, Opened);
}
