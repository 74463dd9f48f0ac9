using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace Ledger.EventStore.Audit;

/// <summary>
/// A stream's chain as the integrity check last verified it valid: versions 1 to <see cref="Version"/>, ending in
/// <see cref="Hash"/>, with the balance and the deposits and withdrawals to date recomputed from the events up to there.
/// An incremental check trusts it only with a valid <see cref="CheckpointSeal"/>, and starts after it.
/// </summary>
public sealed record IntegrityCheckpoint(
    Guid AccountId,
    long Version,
    string Hash,
    long BalanceMinor,
    decimal? DepositedToDateMinor,
    decimal? WithdrawnToDateMinor,
    DateTimeOffset VerifiedAt);

/// <summary>
/// <c>ledger.integrity_checkpoints</c>: one row per stream, written only by <see cref="IntegrityVerifier"/> after it
/// verified that stream's chain valid up to the row's version, and removed when a check finds the stream broken. Every row
/// carries its <see cref="CheckpointSeal"/>; a row whose seal does not verify is ignored (docs/audit.md).
/// </summary>
public static class IntegrityCheckpointsTable
{
    public const string Name = "integrity_checkpoints";
    public const string QualifiedName = $"{LedgerStore.Schema}.{Name}";

    /// <summary>Rows written or removed per statement: bounded memory whatever the number of streams.</summary>
    public const int BatchMax = 5_000;

    private const string Columns =
        "account_id, version, hash, balance_minor, deposited_to_date_minor, withdrawn_to_date_minor, verified_at, seal";

    public static Table Build()
    {
        var table = new Table(new PostgresqlObjectName(LedgerStore.Schema, Name, SchemaUtils.IdentifierUsage.General));
        table.AddColumn<Guid>("account_id").AsPrimaryKey();
        table.AddColumn<long>("version").NotNull();
        table.AddColumn<string>("hash").NotNull();
        table.AddColumn<long>("balance_minor").NotNull();
        table.AddColumn("deposited_to_date_minor", "numeric");
        table.AddColumn("withdrawn_to_date_minor", "numeric");
        table.AddColumn<DateTimeOffset>("verified_at").NotNull();
        table.AddColumn<string>("seal").NotNull();
        return table;
    }

    /// <summary>Every checkpoint whose seal verifies, by stream, and how many rows were there whose seal did not.</summary>
    public static async Task<(Dictionary<Guid, IntegrityCheckpoint> Trusted, long Rejected)> ReadAsync(NpgsqlDataSource dataSource,
        CheckpointSeal seal, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(seal);
        var trusted = new Dictionary<Guid, IntegrityCheckpoint>();
        long rejected = 0;
        await using var command = dataSource.CreateCommand($"select {Columns} from {QualifiedName}");
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        while (await reader.ReadAsync(cancellation))
        {
            var checkpoint = new IntegrityCheckpoint(reader.GetGuid(0), reader.GetInt64(1), reader.GetString(2), reader.GetInt64(3),
                reader.IsDBNull(4) ? null : reader.GetDecimal(4), reader.IsDBNull(5) ? null : reader.GetDecimal(5),
                reader.GetFieldValue<DateTimeOffset>(6));
            if (seal.Verifies(checkpoint, reader.GetString(7)))
            {
                trusted[checkpoint.AccountId] = checkpoint;
            }
            else
            {
                rejected++;
            }
        }

        return (trusted, rejected);
    }

    /// <summary>Writes each checkpoint (replacing the stream's previous one) and removes those of <paramref name="broken"/>.</summary>
    public static async Task WriteAsync(NpgsqlDataSource dataSource, CheckpointSeal seal, IReadOnlyCollection<IntegrityCheckpoint> verified,
        IReadOnlyCollection<Guid> broken, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(seal);
        ArgumentNullException.ThrowIfNull(verified);
        ArgumentNullException.ThrowIfNull(broken);
        await using var batch = dataSource.CreateBatch();
        if (verified.Count > 0)
        {
            var upsert = new NpgsqlBatchCommand(
                $"insert into {QualifiedName} ({Columns}) select * from unnest($1, $2, $3, $4, $5, $6, $7, $8) " +
                "on conflict (account_id) do update set version = excluded.version, hash = excluded.hash, " +
                "balance_minor = excluded.balance_minor, deposited_to_date_minor = excluded.deposited_to_date_minor, " +
                "withdrawn_to_date_minor = excluded.withdrawn_to_date_minor, verified_at = excluded.verified_at, seal = excluded.seal");
            upsert.Parameters.Add(Array(verified.Select(c => c.AccountId), NpgsqlDbType.Uuid));
            upsert.Parameters.Add(Array(verified.Select(c => c.Version), NpgsqlDbType.Bigint));
            upsert.Parameters.Add(Array(verified.Select(c => c.Hash), NpgsqlDbType.Text));
            upsert.Parameters.Add(Array(verified.Select(c => c.BalanceMinor), NpgsqlDbType.Bigint));
            upsert.Parameters.Add(Array(verified.Select(c => c.DepositedToDateMinor), NpgsqlDbType.Numeric));
            upsert.Parameters.Add(Array(verified.Select(c => c.WithdrawnToDateMinor), NpgsqlDbType.Numeric));
            upsert.Parameters.Add(Array(verified.Select(c => c.VerifiedAt), NpgsqlDbType.TimestampTz));
            upsert.Parameters.Add(Array(verified.Select(seal.Of), NpgsqlDbType.Text));
            batch.BatchCommands.Add(upsert);
        }

        if (broken.Count > 0)
        {
            var delete = new NpgsqlBatchCommand($"delete from {QualifiedName} where account_id = any($1)");
            delete.Parameters.Add(Array(broken, NpgsqlDbType.Uuid));
            batch.BatchCommands.Add(delete);
        }

        if (batch.BatchCommands.Count > 0)
        {
            await batch.ExecuteNonQueryAsync(cancellation);
        }
    }

    private static NpgsqlParameter Array<T>(IEnumerable<T> values, NpgsqlDbType type) =>
        new() { Value = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | type };
}

/// <summary>
/// The seal on an integrity checkpoint: HMAC-SHA256, under a key kept outside the database (<c>Integrity:CheckpointKey</c>),
/// of every field of the checkpoint. Someone who can write the database but does not hold the key cannot move a checkpoint
/// past an edited event, or make one up: the row no longer verifies and the stream is checked from its first event.
/// </summary>
public sealed class CheckpointSeal
{
    /// <summary>The configuration key the hosts read the seal's key from.</summary>
    public const string Setting = "Integrity:CheckpointKey";

    /// <summary>The key's length at least: SHA-256's own, as RFC 2104 recommends.</summary>
    public const int KeyBytesMin = 32;

    private const string Purpose = "ledger-integrity-checkpoint/1";

    private readonly byte[] _key;

    public CheckpointSeal(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length < KeyBytesMin)
        {
            throw new ArgumentException($"A checkpoint key has at least {KeyBytesMin} bytes.", nameof(key));
        }

        _key = (byte[])key.Clone();
    }

    /// <summary>
    /// The seal for the key configured as base64, or null when none is (checkpoints are then neither written nor trusted).
    /// A key that is not base64 of at least <see cref="KeyBytesMin"/> bytes refuses the start.
    /// </summary>
    public static CheckpointSeal? FromSetting(string? base64)
    {
        if (string.IsNullOrWhiteSpace(base64))
        {
            return null;
        }

        byte[] key;
        try
        {
            key = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            throw new StartupRefusedException($"{Setting} is not base64. Give at least {KeyBytesMin} random bytes in base64, e.g. `openssl rand -base64 32`.");
        }

        return key.Length >= KeyBytesMin
            ? new CheckpointSeal(key)
            : throw new StartupRefusedException($"{Setting} has {key.Length} bytes; it needs at least {KeyBytesMin}, e.g. `openssl rand -base64 32`.");
    }

    public string Of(IntegrityCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return Convert.ToHexStringLower(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(Canonical(checkpoint))));
    }

    public bool Verifies(IntegrityCheckpoint checkpoint, string seal)
    {
        ArgumentNullException.ThrowIfNull(seal);
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Of(checkpoint)), Encoding.ASCII.GetBytes(seal));
    }

    private static string Canonical(IntegrityCheckpoint c) => string.Join('\n', Purpose, c.AccountId.ToString("D", CultureInfo.InvariantCulture),
        c.Version.ToString(CultureInfo.InvariantCulture), c.Hash, c.BalanceMinor.ToString(CultureInfo.InvariantCulture),
        Total(c.DepositedToDateMinor), Total(c.WithdrawnToDateMinor), HashChain.Time(c.VerifiedAt));

    /// <summary>Minor units are whole numbers: written without the trailing zeros of whatever scale PostgreSQL returns.</summary>
    private static string Total(decimal? total) => total switch
    {
        null => "-",
        { } whole when whole == decimal.Truncate(whole) => whole.ToString("0", CultureInfo.InvariantCulture),
        { } fraction => fraction.ToString(CultureInfo.InvariantCulture),
    };
}
