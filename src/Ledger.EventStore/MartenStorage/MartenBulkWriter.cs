using System.Text.Json;
using Ledger.Domain.Accounts;
using Npgsql;
using NpgsqlTypes;

namespace Ledger.EventStore.MartenStorage;

/// <summary>
/// Writes rows into Marten's tables by binary COPY, with the values Marten itself writes for an append or a document
/// store (the seed, and the account documents a replay rebuilds). Those values are Marten's private choices, so they are
/// made here only, next to <see cref="MartenTables"/>; the seed tests compare them with rows Marten wrote.
/// </summary>
public static class MartenBulkWriter
{
    /// <summary>Marten's tenant id when the store is not multi-tenanted, as it stores it for every append.</summary>
    public const string DefaultTenant = "*DEFAULT*";

    /// <summary>The stream type Marten records for <c>StartStream&lt;Account&gt;</c>.</summary>
    public const string AccountStreamType = "account";

    private const string EventColumns =
        "seq_id, id, stream_id, version, data, type, timestamp, tenant_id, mt_dotnet_type, correlation_id, is_archived, user_name, headers";

    private const string StreamColumns = "id, type, version, timestamp, created, tenant_id";

    private static readonly Dictionary<Type, string> EventDotnetTypes = LedgerStore.EventTypeNames.Keys.ToDictionary(
        type => type, EventDotnetType);

    /// <summary>What Marten stores as an event's <c>mt_dotnet_type</c>: the full type name and the assembly's simple name.</summary>
    public static string EventDotnetType(Type eventType)
    {
        ArgumentNullException.ThrowIfNull(eventType);
        return $"{eventType.FullName}, {eventType.Assembly.GetName().Name}";
    }

    /// <summary>What Marten stores as a document's <c>mt_dotnet_type</c>: the full type name.</summary>
    public static string DocumentDotnetType(Type documentType)
    {
        ArgumentNullException.ThrowIfNull(documentType);
        return documentType.FullName!;
    }

    /// <summary>One account stream as <c>StartStream</c> records it, at its final version.</summary>
    public static async Task CopyAccountStreamsAsync(NpgsqlConnection connection, IEnumerable<Account> accounts, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(accounts);
        await using var copy = await BeginAsync(connection, MartenTables.Streams, StreamColumns, cancellation);
        foreach (var account in accounts)
        {
            await copy.StartRowAsync(cancellation);
            await copy.WriteAsync(account.AccountId, NpgsqlDbType.Uuid, cancellation);
            await copy.WriteAsync(AccountStreamType, NpgsqlDbType.Varchar, cancellation);
            await copy.WriteAsync(account.Version, NpgsqlDbType.Bigint, cancellation);
            await copy.WriteAsync(account.CreatedAt, NpgsqlDbType.TimestampTz, cancellation);
            await copy.WriteAsync(account.CreatedAt, NpgsqlDbType.TimestampTz, cancellation);
            await copy.WriteAsync(DefaultTenant, NpgsqlDbType.Varchar, cancellation);
        }

        await copy.CompleteAsync(cancellation);
    }

    /// <summary>Starts a COPY into the event table; the caller writes each event with <see cref="WriteEventAsync"/>.</summary>
    public static Task<NpgsqlBinaryImporter> BeginEventsAsync(NpgsqlConnection connection, CancellationToken cancellation) =>
        BeginAsync(connection, MartenTables.Events, EventColumns, cancellation);

    /// <summary>
    /// One event row as an append writes it; <paramref name="json"/> is the event as the store serializes it, with the
    /// actor as <see cref="Actor.StampOn"/> records it (user name and role header).
    /// </summary>
    public static async Task WriteEventAsync(NpgsqlBinaryImporter copy, long sequence, Guid eventId, Guid streamId, long version,
        IAccountEvent data, string json, DateTimeOffset recordedAt, string correlationId, Actor actor, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(copy);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(actor);
        var type = data.GetType();
        await copy.StartRowAsync(cancellation);
        await copy.WriteAsync(sequence, NpgsqlDbType.Bigint, cancellation);
        await copy.WriteAsync(eventId, NpgsqlDbType.Uuid, cancellation);
        await copy.WriteAsync(streamId, NpgsqlDbType.Uuid, cancellation);
        await copy.WriteAsync(version, NpgsqlDbType.Bigint, cancellation);
        await copy.WriteAsync(json, NpgsqlDbType.Jsonb, cancellation);
        await copy.WriteAsync(LedgerStore.EventTypeNames[type], NpgsqlDbType.Varchar, cancellation);
        await copy.WriteAsync(recordedAt, NpgsqlDbType.TimestampTz, cancellation);
        await copy.WriteAsync(DefaultTenant, NpgsqlDbType.Varchar, cancellation);
        await copy.WriteAsync(EventDotnetTypes[type], NpgsqlDbType.Varchar, cancellation);
        await copy.WriteAsync(correlationId, NpgsqlDbType.Varchar, cancellation);
        await copy.WriteAsync(false, NpgsqlDbType.Boolean, cancellation);
        await copy.WriteAsync(actor.Subject, NpgsqlDbType.Varchar, cancellation);
        await copy.WriteAsync(HeadersJson(actor), NpgsqlDbType.Jsonb, cancellation);
    }

    /// <summary>The event headers an append stamped by <see cref="Actor.StampOn"/> stores: the role header only.</summary>
    public static string HeadersJson(Actor actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return JsonSerializer.Serialize(new Dictionary<string, string> { [Actor.RoleHeader] = actor.Role });
    }

    /// <summary>
    /// Account documents as the store writes them, into the live table or a shadow of it (<paramref name="qualifiedTable"/>):
    /// what loading an account returns, with the stream version Marten keeps for a projected document.
    /// </summary>
    public static async Task CopyAccountDocumentsAsync(NpgsqlConnection connection, string qualifiedTable, Marten.ISerializer serializer,
        IEnumerable<Account> accounts, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(serializer);
        ArgumentNullException.ThrowIfNull(accounts);
        var dotnetType = DocumentDotnetType(typeof(Account));
        await using var copy = await BeginAsync(connection, qualifiedTable, "id, data, mt_dotnet_type, mt_version", cancellation);
        foreach (var account in accounts)
        {
            await copy.StartRowAsync(cancellation);
            await copy.WriteAsync(account.AccountId, NpgsqlDbType.Uuid, cancellation);
            await copy.WriteAsync(serializer.ToJson(account), NpgsqlDbType.Jsonb, cancellation);
            await copy.WriteAsync(dotnetType, NpgsqlDbType.Varchar, cancellation);
            await copy.WriteAsync(account.Version, NpgsqlDbType.Bigint, cancellation);
        }

        await copy.CompleteAsync(cancellation);
    }

    /// <summary>Transfer receipt documents (id and serialized receipt), as the transfer endpoint stores them.</summary>
    public static async Task CopyTransferReceiptsAsync(NpgsqlConnection connection, IEnumerable<(Guid TransferId, string Json)> receipts,
        CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(receipts);
        var dotnetType = DocumentDotnetType(typeof(Transfers.TransferReceipt));
        await using var copy = await BeginAsync(connection, $"{LedgerStore.Schema}.{MartenTables.TransferReceiptDocuments}",
            "id, data, mt_dotnet_type", cancellation);
        foreach (var (transferId, json) in receipts)
        {
            await copy.StartRowAsync(cancellation);
            await copy.WriteAsync(transferId, NpgsqlDbType.Uuid, cancellation);
            await copy.WriteAsync(json, NpgsqlDbType.Jsonb, cancellation);
            await copy.WriteAsync(dotnetType, NpgsqlDbType.Varchar, cancellation);
        }

        await copy.CompleteAsync(cancellation);
    }

    /// <summary>
    /// Hold documents (id, owning account and serialized hold), as the group commit stores them: the account is the column
    /// Marten duplicates out of the document (<see cref="MartenTables.HoldAccountColumn"/>) to find an account's holds.
    /// </summary>
    public static async Task CopyHoldsAsync(NpgsqlConnection connection, IEnumerable<(Guid HoldId, Guid AccountId, string Json)> holds,
        CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(holds);
        var dotnetType = DocumentDotnetType(typeof(Hold));
        await using var copy = await BeginAsync(connection, $"{LedgerStore.Schema}.{MartenTables.HoldDocuments}",
            $"id, data, mt_dotnet_type, {MartenTables.HoldAccountColumn}", cancellation);
        foreach (var (holdId, accountId, json) in holds)
        {
            await copy.StartRowAsync(cancellation);
            await copy.WriteAsync(holdId, NpgsqlDbType.Uuid, cancellation);
            await copy.WriteAsync(json, NpgsqlDbType.Jsonb, cancellation);
            await copy.WriteAsync(dotnetType, NpgsqlDbType.Varchar, cancellation);
            await copy.WriteAsync(accountId, NpgsqlDbType.Uuid, cancellation);
        }

        await copy.CompleteAsync(cancellation);
    }

    private static Task<NpgsqlBinaryImporter> BeginAsync(NpgsqlConnection connection, string qualifiedTable, string columns,
        CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return connection.BeginBinaryImportAsync($"copy {qualifiedTable} ({columns}) from stdin (format binary)", cancellation);
    }
}
