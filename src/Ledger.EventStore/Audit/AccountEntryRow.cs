using System.Text.Json;
using Ledger.Domain.Accounts;
using NpgsqlTypes;

namespace Ledger.EventStore.Audit;

/// <summary>
/// One row of <see cref="AccountEntriesTable"/>, computed the same way by the inline projection and by a replay: the state
/// after the event (the domain's own Evolve) and the next link of the stream's hash chain.
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
    Account State)
{
    public const string Columns = "account_id, version, sequence, event_id, type, currency, amount_minor, balance_after_minor, " +
                                  "occurred_at, transfer_id, counterparty_account_id, reference, correlation_id, actor_subject, actor_role, data, " +
                                  "state, hash";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The entry for <paramref name="event"/>, given the previous entry's hash and state (genesis and null for version 1).</summary>
    public static AccountEntryRow Next(string previousHash, Account? previousState, Guid accountId, long version, long sequence,
        Guid eventId, string? correlationId, Actor? actor, IAccountEvent @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        var state = AccountDecider.Evolve(previousState, @event);
        var hash = HashChain.Next(previousHash, new HashChain.Link(accountId, version, sequence, eventId, @event, actor));
        return new AccountEntryRow(accountId, version, sequence, eventId, AccountEventTypes.NameOf(@event), state.Currency,
            AccountEventTypes.SignedAmountMinor(accountId, @event), state.BalanceMinor, @event.OccurredAt,
            (@event as MoneyTransferred)?.TransferId, AccountEventTypes.CounterpartyOf(accountId, @event),
            AccountEventTypes.ReferenceOf(@event), correlationId, actor,
            JsonSerializer.Serialize(HashChain.DataOf(@event), Json), JsonSerializer.Serialize(state, Json), hash, state);
    }

    public static Account ReadState(string stateJson) =>
        JsonSerializer.Deserialize<Account>(stateJson, Json) ?? throw new InvalidOperationException("An entry's state is empty.");

    /// <summary>The values in <see cref="Columns"/> order, nulls as <see cref="DBNull"/>.</summary>
    public object[] Values() =>
    [
        AccountId, Version, Sequence, EventId, Type, Currency, AmountMinor, BalanceAfterMinor, OccurredAt,
        TransferId ?? (object)DBNull.Value, CounterpartyAccountId ?? (object)DBNull.Value, Reference ?? (object)DBNull.Value,
        CorrelationId ?? (object)DBNull.Value, Actor?.Subject ?? (object)DBNull.Value, Actor?.Role ?? (object)DBNull.Value, DataJson,
        StateJson, Hash,
    ];

    /// <summary>The PostgreSQL types of <see cref="Values"/>, for binary COPY.</summary>
    public static NpgsqlDbType[] ColumnTypes { get; } =
    [
        NpgsqlDbType.Uuid, NpgsqlDbType.Bigint, NpgsqlDbType.Bigint, NpgsqlDbType.Uuid, NpgsqlDbType.Text, NpgsqlDbType.Text,
        NpgsqlDbType.Bigint, NpgsqlDbType.Bigint, NpgsqlDbType.TimestampTz, NpgsqlDbType.Uuid, NpgsqlDbType.Uuid,
        NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Jsonb, NpgsqlDbType.Jsonb,
        NpgsqlDbType.Text,
    ];
}
