using Npgsql;

namespace Ledger.Api.Tests.Audit;

/// <summary>
/// Tampering with one account's rows in <c>mt_events</c>, <c>account_entries</c> and <c>integrity_checkpoints</c>: takes a
/// copy of every row first and puts it back on <see cref="RestoreAsync"/> (at the latest when disposed).
/// </summary>
internal sealed class Tampering : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly Guid _accountId;
    private bool _restored;

    private Tampering(NpgsqlConnection connection, Guid accountId)
    {
        _connection = connection;
        _accountId = accountId;
    }

    public static async Task<Tampering> StartAsync(string connectionString, Guid accountId)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var tampering = new Tampering(connection, accountId);
        // Session-local copies: they live exactly as long as this connection.
        await tampering.ExecuteAsync(
            "create temporary table saved_events as select * from ledger.mt_events where stream_id = $1; " +
            "create temporary table saved_entries as select * from ledger.account_entries where account_id = $1; " +
            "create temporary table saved_checkpoints as select * from ledger.integrity_checkpoints where account_id = $1");
        return tampering;
    }

    /// <summary>Runs SQL with the account id as <c>$1</c>.</summary>
    public async Task ExecuteAsync(string sql)
    {
        await using var batch = new NpgsqlBatch(_connection);
        foreach (var statement in sql.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var command = new NpgsqlBatchCommand(statement);
            if (statement.Contains("$1", StringComparison.Ordinal))
            {
                command.Parameters.Add(new NpgsqlParameter { Value = _accountId });
            }

            batch.BatchCommands.Add(command);
        }

        await batch.ExecuteNonQueryAsync();
    }

    public async Task RestoreAsync()
    {
        if (_restored)
        {
            return;
        }

        await ExecuteAsync(
            "delete from ledger.mt_events where stream_id = $1; " +
            "insert into ledger.mt_events overriding system value select * from saved_events; " +
            "delete from ledger.account_entries where account_id = $1; " +
            "insert into ledger.account_entries select * from saved_entries; " +
            "delete from ledger.integrity_checkpoints where account_id = $1; " +
            "insert into ledger.integrity_checkpoints select * from saved_checkpoints");
        _restored = true;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RestoreAsync();
        }
        finally
        {
            await _connection.DisposeAsync();
        }
    }
}
