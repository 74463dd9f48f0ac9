using System.Text.Json;
using Ledger.Domain.Accounts;
using NpgsqlTypes;

namespace Ledger.EventStore.Audit;

/// <summary>
/// What the next entry of a stream is computed from: the entry before it (its hash, its state and its running totals), or
/// <see cref="Genesis"/> before a stream's first event. A total is null when the entry before it was written before running
/// totals were recorded (a database migrated but not yet rebuilt, docs/operations.md); it then stays null for the stream.
/// </summary>
public sealed record EntryLink(string Hash, Account? State, decimal? DepositedToDateMinor, decimal? WithdrawnToDateMinor)
{
    public static EntryLink Genesis { get; } = new(HashChain.Genesis, null, 0m, 0m);
}

/// <summary>
/// One row of <see cref="AccountEntriesTable"/>, computed the same way by the inline projection, a replay and the seed: the
/// state after the event (the domain's own Evolve), the next link of the stream's hash chain, and the account's deposits
/// and withdrawals to date (unsigned sums of minor units; transfers are in neither), which let the trial balance read one
/// row per account instead of every movement.
/// </summary>
public sealed record AccountEntryRow(
    Guid AccountId,
    long Version,
    long Sequence,
    Guid EventId,
    string Type,
    string Currency,
    long AmountMinor,
    long BalanceAfterMinor,
    DateTimeOffset OccurredAt,
    Guid? TransferId,
    Guid? CounterpartyAccountId,
    string? Reference,
    string? CorrelationId,
    Actor? Actor,
    string DataJson,
    string StateJson,
    string Hash,
    decimal? DepositedToDateMinor,
    decimal? WithdrawnToDateMinor,
    Account State)
{
    public const string Columns = "account_id, version, sequence, event_id, type, currency, amount_minor, balance_after_minor, " +
                                  "occurred_at, transfer_id, counterparty_account_id, reference, correlation_id, actor_subject, actor_role, data, " +
                                  "state, hash, deposited_to_date_minor, withdrawn_to_date_minor";

    /// <summary>The link the entry after this one is computed from.</summary>
    public EntryLink Link => new(Hash, State, DepositedToDateMinor, WithdrawnToDateMinor);

    /// <summary>The entry for <paramref name="event"/>, given the link before it (<see cref="EntryLink.Genesis"/> for version 1).</summary>
    public static AccountEntryRow Next(EntryLink previous, Guid accountId, long version, long sequence,
        Guid eventId, string? correlationId, Actor? actor, IAccountEvent @event)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(@event);
        var state = AccountDecider.Evolve(previous.State, @event);
        var hash = HashChain.Next(previous.Hash, new HashChain.Link(accountId, version, sequence, eventId, @event, actor));
        var (deposited, withdrawn) = AccountEventTypes.ToDate(previous.DepositedToDateMinor, previous.WithdrawnToDateMinor, @event);
        return new AccountEntryRow(accountId, version, sequence, eventId, AccountEventTypes.NameOf(@event), state.Currency,
            AccountEventTypes.SignedAmountMinor(accountId, @event), state.BalanceMinor, @event.OccurredAt,
            (@event as MoneyTransferred)?.TransferId, AccountEventTypes.CounterpartyOf(accountId, @event),
            AccountEventTypes.ReferenceOf(@event), correlationId, actor,
            JsonSerializer.Serialize(HashChain.DataOf(@event), EntryJson.Default.SortedDictionaryStringObject),
            JsonSerializer.Serialize(state, EntryJson.Default.Account), hash, deposited, withdrawn,
            state);
    }

    public static Account ReadState(string stateJson) =>
        JsonSerializer.Deserialize(stateJson, EntryJson.Default.Account) ?? throw new InvalidOperationException("An entry's state is empty.");

    /// <summary>The values in <see cref="Columns"/> order, nulls as <see cref="DBNull"/>.</summary>
    public object[] Values() =>
    [
        AccountId, Version, Sequence, EventId, Type, Currency, AmountMinor, BalanceAfterMinor, OccurredAt,
        TransferId ?? (object)DBNull.Value, CounterpartyAccountId ?? (object)DBNull.Value, Reference ?? (object)DBNull.Value,
        CorrelationId ?? (object)DBNull.Value, Actor?.Subject ?? (object)DBNull.Value, Actor?.Role ?? (object)DBNull.Value, DataJson,
        StateJson, Hash, DepositedToDateMinor ?? (object)DBNull.Value, WithdrawnToDateMinor ?? (object)DBNull.Value,
    ];

    /// <summary>The PostgreSQL types of <see cref="Values"/>, for binary COPY.</summary>
    public static NpgsqlDbType[] ColumnTypes { get; } =
    [
        NpgsqlDbType.Uuid, NpgsqlDbType.Bigint, NpgsqlDbType.Bigint, NpgsqlDbType.Uuid, NpgsqlDbType.Text, NpgsqlDbType.Text,
        NpgsqlDbType.Bigint, NpgsqlDbType.Bigint, NpgsqlDbType.TimestampTz, NpgsqlDbType.Uuid, NpgsqlDbType.Uuid,
        NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Jsonb, NpgsqlDbType.Jsonb,
        NpgsqlDbType.Text, NpgsqlDbType.Numeric, NpgsqlDbType.Numeric,
    ];
}
