using System.Text.Json.Serialization;
using Ledger.Domain.Accounts;
using Ledger.EventStore.Transfers;

namespace Ledger.EventStore;

/// <summary>
/// Compile-time JSON metadata for what Marten writes and reads on every command and every replay: the account events,
/// the account document and the transfer receipt. It is placed first in the store serializer's resolver chain, so
/// Marten's own settings (camelCase, enums as strings) still decide the shape; only the reflection per type is gone.
/// </summary>
[JsonSerializable(typeof(AccountCreated))]
[JsonSerializable(typeof(MoneyDeposited))]
[JsonSerializable(typeof(MoneyWithdrawn))]
[JsonSerializable(typeof(MoneyTransferred))]
[JsonSerializable(typeof(AccountFrozen))]
[JsonSerializable(typeof(AccountUnfrozen))]
[JsonSerializable(typeof(AccountClosed))]
[JsonSerializable(typeof(HoldPlaced))]
[JsonSerializable(typeof(HoldCaptured))]
[JsonSerializable(typeof(HoldReleased))]
[JsonSerializable(typeof(Account))]
[JsonSerializable(typeof(Hold))]
[JsonSerializable(typeof(TransferReceipt))]
public sealed partial class StoreJson : JsonSerializerContext;
