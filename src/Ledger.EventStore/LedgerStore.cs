using JasperFx;
using JasperFx.Events;
using Ledger.Domain.Accounts;
using Ledger.EventStore.Idempotency;
using Ledger.EventStore.MartenStorage;
using Ledger.EventStore.Projections;
using Ledger.EventStore.Transfers;
using Marten;
using Weasel.Core;

namespace Ledger.EventStore;

/// <summary>The one place the Marten store is configured. Every choice is explicit rather than left to a default.</summary>
public static class LedgerStore
{
    public const string Schema = "ledger";

    /// <summary>The name each event type is stored under in <c>mt_events.type</c>.</summary>
    public static IReadOnlyDictionary<Type, string> EventTypeNames { get; } = new Dictionary<Type, string>
    {
        [typeof(AccountCreated)] = "account_created",
        [typeof(MoneyDeposited)] = "money_deposited",
        [typeof(MoneyWithdrawn)] = "money_withdrawn",
        [typeof(MoneyTransferred)] = "money_transferred",
        [typeof(AccountFrozen)] = "account_frozen",
        [typeof(AccountUnfrozen)] = "account_unfrozen",
        [typeof(AccountClosed)] = "account_closed",
        [typeof(HoldPlaced)] = "hold_placed",
        [typeof(HoldCaptured)] = "hold_captured",
        [typeof(HoldReleased)] = "hold_released",
    };

    /// <summary>Statements Npgsql keeps prepared per connection (its <c>Max Auto Prepare</c>), unless the connection string says otherwise.</summary>
    public const int AutoPreparedStatementsMax = 64;

    /// <summary>
    /// The connection string the ledger connects with: the one given, plus automatic preparation, so that PostgreSQL parses
    /// and plans each of Marten's append statements once per connection instead of on every command (a statement is
    /// prepared on its second use). Measured on the reference machine: about a third less PostgreSQL CPU per transfer
    /// (docs/benchmarks.md). A connection string that sets <c>Max Auto Prepare</c> or <c>Auto Prepare Min Usages</c> keeps
    /// its own values (0 turns preparation off).
    /// </summary>
    public static string Tuned(string connectionString)
    {
        // Only the keys the string itself sets (Npgsql's own builder knows every key it supports).
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (!given.ContainsKey("Max Auto Prepare") && !given.ContainsKey("MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = AutoPreparedStatementsMax;
        }

        if (!given.ContainsKey("Auto Prepare Min Usages") && !given.ContainsKey("AutoPrepareMinUsages"))
        {
            builder.AutoPrepareMinUsages = 2;
        }

        return builder.ConnectionString;
    }

    public static void Configure(StoreOptions options, string connectionString, ProjectionCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(catalog);
        options.Connection(Tuned(connectionString));
        options.DatabaseSchemaName = Schema;
        options.Events.DatabaseSchemaName = Schema;
        options.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;

        // camelCase JSON with enums as strings: what auditors read in the database is what the API shows.
        // Compile-time metadata for the ledger's events and documents (StoreJson) ahead of reflection for everything else.
        var serializer = new Marten.Services.SystemTextJsonSerializer { EnumStorage = EnumStorage.AsString, Casing = Casing.CamelCase };
        serializer.UseTypeInfoResolver(StoreJson.Default);
        options.Serializer(serializer);

        options.Events.StreamIdentity = StreamIdentity.AsGuid;
        // Rich appends assign versions and sequences before the insert, so they are known inside the transaction.
        options.Events.AppendMode = EventAppendMode.Rich;
        options.Events.MetadataConfig.CorrelationIdEnabled = true;
        options.Events.MetadataConfig.CausationIdEnabled = true;
        options.Events.MetadataConfig.HeadersEnabled = true;
        // Who appended each event (Actor): the subject as the user name, the role as a header.
        options.Events.MetadataConfig.UserNameEnabled = true;
        // Stored type names are explicit, so renaming a CLR type can never orphan history.
        options.Events.MapEventType<AccountCreated>(EventTypeNames[typeof(AccountCreated)]);
        options.Events.MapEventType<MoneyDeposited>(EventTypeNames[typeof(MoneyDeposited)]);
        options.Events.MapEventType<MoneyWithdrawn>(EventTypeNames[typeof(MoneyWithdrawn)]);
        options.Events.MapEventType<MoneyTransferred>(EventTypeNames[typeof(MoneyTransferred)]);
        options.Events.MapEventType<AccountFrozen>(EventTypeNames[typeof(AccountFrozen)]);
        options.Events.MapEventType<AccountUnfrozen>(EventTypeNames[typeof(AccountUnfrozen)]);
        options.Events.MapEventType<AccountClosed>(EventTypeNames[typeof(AccountClosed)]);
        options.Events.MapEventType<HoldPlaced>(EventTypeNames[typeof(HoldPlaced)]);
        options.Events.MapEventType<HoldCaptured>(EventTypeNames[typeof(HoldCaptured)]);
        options.Events.MapEventType<HoldReleased>(EventTypeNames[typeof(HoldReleased)]);

        // An unknown event or a failing projection is a bug to stop on, never a row to skip silently.
        options.Projections.Errors.SkipUnknownEvents = false;
        options.Projections.Errors.SkipApplyErrors = false;
        options.Projections.RebuildErrors.SkipUnknownEvents = false;
        options.Projections.RebuildErrors.SkipApplyErrors = false;

        // Every read model declares its own table and live writer (ADR-013); the async ones are kept by AsyncProjectionRunner.
        foreach (var readModel in catalog.All)
        {
            readModel.Configure(options);
        }

        options.Schema.For<TransferReceipt>().Identity(receipt => receipt.TransferId).DocumentAlias(MartenTables.TransferReceiptAlias);
        options.Schema.For<Hold>().Identity(hold => hold.HoldId).DocumentAlias(MartenTables.HoldAlias)
            .Duplicate(hold => hold.AccountId);

        options.Storage.ExtendedSchemaObjects.Add(IdempotencyTable.Build(Schema));
        options.Storage.ExtendedSchemaObjects.AddRange(ProjectionTables.Build());
        options.Storage.ExtendedSchemaObjects.Add(Audit.IntegrityCheckpointsTable.Build());
    }
}
