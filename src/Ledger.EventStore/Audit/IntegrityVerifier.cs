using System.Runtime.CompilerServices;
using System.Text.Json;
using Ledger.Domain.Accounts;
using Ledger.EventStore.MartenStorage;
using Npgsql;

namespace Ledger.EventStore.Audit;

public sealed record StreamIntegrity(Guid AccountId, bool Valid, long Events, string HeadHash, long? FirstInvalidVersion, string? Problem);

public sealed record LedgerIntegrity(bool Valid, long Streams, long Events, long BrokenStreams, IReadOnlyList<StreamIntegrity> Broken);

/// <summary>
/// Recomputes hash chains from the stored events (<c>mt_events</c>) and compares each link with the hash recorded when
/// the event was appended. Walks rows in (stream, version) order through one streaming reader, so memory stays bounded
/// whatever the size of the ledger.
/// </summary>
public sealed class IntegrityVerifier(NpgsqlDataSource dataSource)
{
    public const int BrokenListMax = 100;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly Dictionary<string, Type> EventTypes =
        LedgerStore.EventTypeNames.ToDictionary(pair => pair.Value, pair => pair.Key, StringComparer.Ordinal);

    public async Task<StreamIntegrity?> VerifyAccountAsync(Guid accountId, CancellationToken cancellationToken)
    {
        await foreach (var stream in WalkAsync(accountId, cancellationToken))
        {
            return stream;
        }

        return null;
    }

    public async Task<LedgerIntegrity> VerifyLedgerAsync(CancellationToken cancellationToken)
    {
        long streams = 0, events = 0, brokenCount = 0;
        var broken = new List<StreamIntegrity>();
        await foreach (var stream in WalkAsync(null, cancellationToken))
        {
            streams++;
            events += stream.Events;
            if (!stream.Valid)
            {
                brokenCount++;
                if (broken.Count < BrokenListMax)
                {
                    broken.Add(stream);
                }
            }
        }

        return new LedgerIntegrity(brokenCount == 0, streams, events, brokenCount, broken);
    }

    private async IAsyncEnumerable<StreamIntegrity> WalkAsync(Guid? accountId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filterEvents = MartenTables.EventsForIntegrity(oneStream: accountId is not null);
        var filterEntries = accountId is null ? AccountEntriesTable.QualifiedName : $"(select * from {AccountEntriesTable.QualifiedName} where account_id = $1)";
        await using var command = dataSource.CreateCommand(
            "select coalesce(e.stream_id, x.account_id), coalesce(e.version, x.version), e.seq_id, e.id, e.type, e.data::text, " +
            $"x.hash, x.balance_after_minor, e.user_name, e.actor_role, x.actor_subject, x.actor_role from {filterEvents} e " +
            $"full join {filterEntries} x " +
            "on x.account_id = e.stream_id and x.version = e.version order by 1, 2");
        if (accountId is { } id)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = id });
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        Chain? chain = null;
        while (await reader.ReadAsync(cancellationToken))
        {
            var streamId = reader.GetGuid(0);
            if (chain is not null && chain.AccountId != streamId)
            {
                yield return chain.Result();
                chain = null;
            }

            chain ??= new Chain(streamId);
            chain.Add(reader);
        }

        if (chain is not null)
        {
            yield return chain.Result();
        }
    }

    /// <summary>The running check of one stream.</summary>
    private sealed class Chain(Guid accountId)
    {
        private string _hash = HashChain.Genesis;
        private long _events;
        private long _balanceMinor;
        private long? _firstInvalidVersion;
        private string? _problem;

        public Guid AccountId { get; } = accountId;

        public void Add(NpgsqlDataReader row)
        {
            var version = row.GetInt64(1);
            _events++;
            if (version != _events)
            {
                Fail(_events, $"version {_events} is missing");
            }

            if (row.IsDBNull(2))
            {
                Fail(version, $"version {version} has a recorded hash but no stored event");
                return;
            }

            if (Deserialize(row.GetString(4), row.GetString(5)) is not { } @event)
            {
                Fail(version, $"the event at version {version} cannot be read as an account event");
                return;
            }

            var actor = Actor.From(Text(row, 8), Text(row, 9));
            _hash = HashChain.Next(_hash, new HashChain.Link(AccountId, version, row.GetInt64(2), row.GetGuid(3), @event, actor));
            _balanceMinor += AccountEventTypes.SignedAmountMinor(AccountId, @event);
            if (row.IsDBNull(6))
            {
                Fail(version, $"version {version} has no recorded hash");
            }
            else if (row.GetString(6) != _hash)
            {
                Fail(version, $"the event at version {version} does not match the hash recorded when it was appended");
            }
            else if (row.GetInt64(7) != _balanceMinor)
            {
                Fail(version, $"the balance recorded after version {version} does not match the events");
            }
            else if (Actor.From(Text(row, 10), Text(row, 11)) != actor)
            {
                Fail(version, $"the actor recorded for version {version} does not match the one stored with the event");
            }
        }

        private static string? Text(NpgsqlDataReader row, int ordinal) => row.IsDBNull(ordinal) ? null : row.GetString(ordinal);

        public StreamIntegrity Result() =>
            new(AccountId, _firstInvalidVersion is null, _events, _hash, _firstInvalidVersion, _problem);

        private void Fail(long version, string problem)
        {
            if (_firstInvalidVersion is null)
            {
                _firstInvalidVersion = version;
                _problem = problem;
            }
        }

        private static IAccountEvent? Deserialize(string typeName, string data)
        {
            try
            {
                return EventTypes.TryGetValue(typeName, out var type) ? JsonSerializer.Deserialize(data, type, Json) as IAccountEvent : null;
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }
}
