using Ledger.Testing;

namespace Ledger.Cli.Tests;

/// <summary>Digests of what the event store holds, to prove that a command changed nothing (or everything it should).</summary>
public static class Digests
{
    /// <summary>A digest of the whole event history: ids, streams, versions and data, in sequence order.</summary>
    public static Task<string> HistoryDigestAsync(string connectionString) => Sql.ScalarAsync<string>(connectionString,
        "select coalesce(md5(string_agg(id::text || '|' || stream_id::text || '|' || version || '|' || data::text, ',' order by seq_id)), '') " +
        "from ledger.mt_events");

    /// <summary>A digest of every account entry, to prove that a refused rebuild changed nothing.</summary>
    public static Task<string> EntriesDigestAsync(string connectionString) => Sql.ScalarAsync<string>(connectionString,
        "select md5(string_agg(e::text, ',' order by account_id, version)) from ledger.account_entries e");
}
