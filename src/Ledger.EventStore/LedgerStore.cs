using JasperFx;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Ledger.Domain.Accounts;
using Ledger.EventStore.Accounts;
using Ledger.EventStore.Audit;
using Ledger.EventStore.Idempotency;
using Ledger.EventStore.Transfers;
using Marten;
using Weasel.Core;

namespace Ledger.EventStore;

/// <summary>The one place the Marten store is configured. Every choice is explicit rather than left to a default.</summary>
public static class LedgerStore
{
    public const string Schema = "ledger";

    public static void Configure(StoreOptions options, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Connection(connectionString);
        options.DatabaseSchemaName = Schema;
        options.Events.DatabaseSchemaName = Schema;
        options.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;

        // camelCase JSON with enums as strings: what auditors read in the database is what the API shows.
        options.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase);

        options.Events.StreamIdentity = StreamIdentity.AsGuid;
        // Rich appends assign versions and sequences before the insert, so they are known inside the transaction.
        options.Events.AppendMode = EventAppendMode.Rich;
        options.Events.MetadataConfig.CorrelationIdEnabled = true;
        options.Events.MetadataConfig.CausationIdEnabled = true;
        options.Events.MetadataConfig.HeadersEnabled = true;
        options.Events.AddEventType<AccountCreated>();
        options.Events.AddEventType<MoneyDeposited>();
        options.Events.AddEventType<MoneyWithdrawn>();
        options.Events.AddEventType<MoneyTransferred>();

        // An unknown event or a failing projection is a bug to stop on, never a row to skip silently.
        options.Projections.Errors.SkipUnknownEvents = false;
        options.Projections.Errors.SkipApplyErrors = false;
        options.Projections.RebuildErrors.SkipUnknownEvents = false;
        options.Projections.RebuildErrors.SkipApplyErrors = false;

        options.Projections.Add(new AccountProjection(), ProjectionLifecycle.Inline);
        options.Projections.Add(new AccountEntriesProjection(), ProjectionLifecycle.Inline);
        options.Schema.For<Account>().Identity(account => account.AccountId).DocumentAlias("account");
        options.Schema.For<TransferReceipt>().Identity(receipt => receipt.TransferId).DocumentAlias("transfer_receipt");

        options.Storage.ExtendedSchemaObjects.Add(IdempotencyTable.Build(Schema));
        options.Storage.ExtendedSchemaObjects.Add(AccountEntriesTable.Build());
    }
}
