using System.Globalization;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using JasperFx.Events;
using Ledger.Contracts;
using Ledger.Contracts.V1;
using Ledger.Domain.Accounts;
using Ledger.Domain.Money;
using Ledger.EventStore;
using Ledger.EventStore.Audit;

namespace Ledger.Messaging.Relay;

/// <summary>An event the relay cannot turn into an integration event; it is recorded as a dead letter.</summary>
public sealed class UnmappableEventException(string message) : Exception(message);

/// <summary>
/// Maps a committed domain event to its Kafka message: key = account id, value = the v1 integration event as JSON,
/// headers = CloudEvents binary binding with <c>ce_dataschema</c> and the ledger's extensions (stream version, sequence,
/// correlation id, actor). A transfer, and a hold captured to another account, is stored once in each account's stream,
/// so each stream's copy becomes one message on that account's key: the debit on the source's, the credit on the
/// destination's.
/// </summary>
public static class IntegrationEventMapper
{
    public static Message<string, byte[]> Map(IEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var accountId = e.StreamId;
        var (type, value) = e.Data switch
        {
            AccountCreated created => (CloudEventTypes.AccountCreated, (object)new AccountCreatedV1(created.AccountId, created.Owner,
                created.Currency, Format(created.OverdraftLimitMinor, created.Currency), created.OccurredAt)),
            MoneyDeposited deposited => (CloudEventTypes.MoneyDeposited, new MoneyDepositedV1(deposited.AccountId,
                Format(deposited.AmountMinor, deposited.Currency), deposited.Currency, deposited.Reference, deposited.OccurredAt)),
            MoneyWithdrawn withdrawn => (CloudEventTypes.MoneyWithdrawn, new MoneyWithdrawnV1(withdrawn.AccountId,
                Format(withdrawn.AmountMinor, withdrawn.Currency), withdrawn.Currency, withdrawn.Reference, withdrawn.OccurredAt)),
            MoneyTransferred transfer when transfer.FromAccountId == accountId || transfer.ToAccountId == accountId =>
                (CloudEventTypes.MoneyTransferred, new MoneyTransferredV1(accountId, transfer.TransferId, transfer.FromAccountId,
                    transfer.ToAccountId, transfer.FromAccountId == accountId ? MoneyTransferredV1.Debit : MoneyTransferredV1.Credit,
                    Format(transfer.AmountMinor, transfer.Currency), transfer.Currency, transfer.Reference, transfer.OccurredAt)),
            MoneyTransferred transfer => throw new UnmappableEventException(
                $"Transfer {transfer.TransferId} is stored in stream {accountId}, which is on neither side."),
            AccountFrozen frozen => (CloudEventTypes.AccountFrozen, new AccountFrozenV1(frozen.AccountId, frozen.Reason, frozen.AlertId,
                frozen.OccurredAt)),
            AccountUnfrozen unfrozen => (CloudEventTypes.AccountUnfrozen, new AccountUnfrozenV1(unfrozen.AccountId, unfrozen.Reason,
                unfrozen.OccurredAt)),
            AccountClosed closed => (CloudEventTypes.AccountClosed, new AccountClosedV1(closed.AccountId, closed.Reason, closed.OccurredAt)),
            HoldPlaced placed => (CloudEventTypes.HoldPlaced, new HoldPlacedV1(placed.AccountId, placed.HoldId,
                Format(placed.AmountMinor, placed.Currency), placed.Currency, placed.Reference, placed.ExpiresAt,
                HashChain.PurposeName(placed.Purpose), placed.ToAccountId, placed.RequestedBy, placed.OccurredAt)),
            HoldCaptured captured when captured.AccountId == accountId || captured.ToAccountId == accountId =>
                (CloudEventTypes.HoldCaptured, new HoldCapturedV1(accountId, captured.HoldId, captured.AccountId, captured.ToAccountId,
                    captured.AccountId == accountId ? HoldCapturedV1.Debit : HoldCapturedV1.Credit, Format(captured.AmountMinor, captured.Currency),
                    Format(captured.HeldMinor, captured.Currency), captured.Currency, captured.Reference, captured.ApprovedBy, captured.OccurredAt)),
            HoldCaptured captured => throw new UnmappableEventException(
                $"Capture of hold {captured.HoldId} is stored in stream {accountId}, which is on neither side."),
            HoldReleased released => (CloudEventTypes.HoldReleased, new HoldReleasedV1(released.AccountId, released.HoldId,
                Format(released.AmountMinor, released.Currency), released.Currency, released.Reason, released.RejectedBy, released.OccurredAt)),
            null => throw new UnmappableEventException($"Event {e.Id} has no data."),
            _ => throw new UnmappableEventException($"Event {e.Id} of type {e.Data.GetType().Name} has no integration contract."),
        };

        var headers = new Headers
        {
            { CloudEventHeaders.SpecVersion, Utf8(CloudEventHeaders.SpecVersionValue) },
            { CloudEventHeaders.Id, Utf8(e.Id.ToString()) },
            { CloudEventHeaders.Source, Utf8(CloudEventHeaders.SourceValue) },
            { CloudEventHeaders.Type, Utf8(type) },
            { CloudEventHeaders.Time, Utf8(((IAccountEvent)e.Data).OccurredAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture)) },
            { CloudEventHeaders.Subject, Utf8(accountId.ToString()) },
            { CloudEventHeaders.ContentType, Utf8(CloudEventHeaders.ContentTypeValue) },
            { CloudEventHeaders.DataSchema, Utf8(ContractSchemas.Of(type).DataSchema) },
        };
        AddExtension(headers, CloudEventHeaders.StreamVersion, e.Version.ToString(CultureInfo.InvariantCulture));
        AddExtension(headers, CloudEventHeaders.Sequence, e.Sequence.ToString(CultureInfo.InvariantCulture));
        if (!string.IsNullOrEmpty(e.CorrelationId))
        {
            AddExtension(headers, CloudEventHeaders.CorrelationId, e.CorrelationId);
        }

        if (Actor.Of(e) is { } actor)
        {
            headers.Add(CloudEventHeaders.Actor, Utf8(actor.Subject));
            headers.Add(CloudEventHeaders.ActorRole, Utf8(actor.Role));
        }

        return new Message<string, byte[]>
        {
            Key = accountId.ToString(),
            Value = JsonSerializer.SerializeToUtf8Bytes(value, value.GetType(), IntegrationJson.Options),
            Headers = headers,
        };
    }

    /// <summary>
    /// The extension under its CloudEvents name and, while consumers move over, under its former name too
    /// (<see cref="CloudEventHeaders.FormerNames"/>; docs/contracts.md says until when).
    /// </summary>
    private static void AddExtension(Headers headers, string name, string value)
    {
        var bytes = Utf8(value);
        headers.Add(name, bytes);
        if (CloudEventHeaders.FormerNames.TryGetValue(name, out var former))
        {
            headers.Add(former, bytes);
        }
    }

    private static string Format(long minor, string currency) =>
        Currency.TryFind(currency, out var unit)
            ? MinorUnits.Format(minor, unit)
            : throw new UnmappableEventException($"Currency '{currency}' is not a known ISO 4217 currency.");

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
