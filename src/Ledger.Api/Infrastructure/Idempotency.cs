using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ledger.EventStore;
using Ledger.EventStore.Idempotency;
using Marten;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Ledger.Api.Infrastructure;

/// <summary>Endpoint metadata: this POST honours <c>Idempotency-Key</c> and answers success with <see cref="Status"/>.</summary>
public sealed record IdempotentCommand(int Status, Func<object, string?>? Location = null);

/// <summary>The key reserved for the current request, if any (scoped).</summary>
public sealed class IdempotencyScope
{
    public string? Key { get; set; }

    /// <summary>The fencing token of this request's lease: only its holder may complete or release the key.</summary>
    public Guid Token { get; set; }
    public IdempotentCommand? Command { get; set; }
    public bool Completed { get; set; }
}

public sealed record StoredResponse(int Status, string Body, string? Location);

/// <summary>
/// A response that carries its own status and <c>Location</c>, where one endpoint answers in more than one way: a movement
/// accepted for approval is 202 with the approval's location, not the endpoint's usual answer.
/// </summary>
public interface IAnswerStatus
{
    int StatusCode { get; }

    string? Location { get; }
}

public sealed class IdempotencyOptions
{
    public const string Section = "Idempotency";
    public const int KeyLengthMax = 255;

    /// <summary>How long a finished response is kept for replays. Never less than 24 hours.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(48);

    /// <summary>
    /// How long a reservation protects a running request; a crashed request's key frees after this. Commands are cut off
    /// well before (<see cref="CommandOptions.TimeLimit"/>), and a request that still outlives its lease cannot commit (ADR-009).
    /// </summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// Records the answer of a command under the request's <c>Idempotency-Key</c>, if it has one: a first answer in the same
/// database transaction as its events (<see cref="SaveAsync{TResponse}"/>, instead of <c>SaveChangesAsync</c>), a repeated
/// answer (the command's own id had already been used, see <see cref="NaturalKeyWrite"/>) on its own
/// (<see cref="ReplayAsync{TResponse}"/>). Both writes are fenced by the request's lease token (ADR-009).
/// </summary>
public sealed class CommandCommit(IdempotencyScope scope, IdempotencyStore store, IOptions<JsonOptions> json)
{
    /// <summary>
    /// Stores the response through the session's own connection and transaction, so it commits or rolls back with the
    /// events, then commits. When a retry took the key over, the transaction rolls back and the request is answered 409.
    /// </summary>
    public async Task SaveAsync<TResponse>(IDocumentSession session, TResponse response, CancellationToken cancellationToken)
        where TResponse : notnull
    {
        ArgumentNullException.ThrowIfNull(session);
        if (scope is { Key: { } key, Command: { } command })
        {
            await session.BeginTransactionAsync(cancellationToken);
            if (!await IdempotencyStore.CompleteAsync(session.Connection!, key, scope.Token, Describe(command, response), cancellationToken))
            {
                // Disposing the session rolls the events back.
                throw LostLease(key);
            }
        }

        await session.SaveChangesAsync(cancellationToken);
        scope.Completed = true;
    }

    /// <summary>The answer to a request whose lease on its key ran out and was taken over: its work is rolled back (ADR-009).</summary>
    public static ProblemException LostLease(string key) =>
        new(Problems.IdempotencyKeyInFlight,
            $"This request outlived its lease on Idempotency-Key '{key}' and a retry took the key over, so this attempt " +
            "had no effect. Retry with the same key to get the answer of the attempt that holds it.");

    /// <summary>The request's key, token and answer, for a group commit to store with the command's events; null without a key.</summary>
    public IdempotentAnswer? Answer() =>
        scope is { Key: { } key, Command: { } command } ? new IdempotentAnswer(key, scope.Token, response => Describe(command, response)) : null;

    /// <summary>The command's events and its answer committed together (see <see cref="GroupCommit"/>).</summary>
    public void Committed() => scope.Completed = true;

    /// <summary>
    /// Stores the answer of a command that wrote nothing because its id had been used with the same content. A request
    /// that lost its lease stores nothing; its answer is still true, since it only repeats what was already written.
    /// </summary>
    public async Task<TResponse> ReplayAsync<TResponse>(TResponse response, CancellationToken cancellationToken)
        where TResponse : notnull
    {
        if (scope is { Key: { } key, Command: { } command })
        {
            await store.CompleteAsync(key, scope.Token, Describe(command, response), cancellationToken);
        }

        scope.Completed = true;
        return response;
    }

    private StoredResponse Describe(IdempotentCommand command, object response)
    {
        var body = JsonSerializer.Serialize(response, response.GetType(), json.Value.SerializerOptions);
        return response is IAnswerStatus own
            ? new(own.StatusCode, body, own.Location)
            : new(command.Status, body, command.Location?.Invoke(response));
    }
}

/// <summary>The idempotency table's operations, each its own short statement outside any command transaction.</summary>
public sealed class IdempotencyStore(NpgsqlDataSource dataSource, IOptions<IdempotencyOptions> options, TimeProvider clock)
{
    private const string Table = $"{LedgerStore.Schema}.{IdempotencyTable.Name}";

    public abstract record Reservation;
    /// <summary>This request holds the key; <paramref name="Token"/> fences its completing write.</summary>
    public sealed record Reserved(Guid Token) : Reservation;
    public sealed record Replay(StoredResponse Response) : Reservation;
    public sealed record Mismatch : Reservation;
    public sealed record InFlight : Reservation;

    public async Task<Reservation> ReserveAsync(string key, string requestHash, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var leaseEnd = now + options.Value.Lease;
        var token = Guid.NewGuid();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var insert = new NpgsqlCommand(
                         $"insert into {Table} (key, request_hash, created_at, locked_until, lease_token) values ($1, $2, $3, $4, $5) " +
                         "on conflict (key) do nothing",
                         connection))
        {
            insert.Parameters.Add(new() { Value = key });
            insert.Parameters.Add(new() { Value = requestHash });
            insert.Parameters.Add(new() { Value = now });
            insert.Parameters.Add(new() { Value = leaseEnd });
            insert.Parameters.Add(new() { Value = token });
            if (await insert.ExecuteNonQueryAsync(cancellationToken) == 1)
            {
                return new Reserved(token);
            }
        }

        await using var select = new NpgsqlCommand(
            $"select request_hash, completed_at is not null, response_status, response_body, response_location, locked_until from {Table} where key = $1",
            connection);
        select.Parameters.Add(new() { Value = key });
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            // Deleted between the two statements (a failed first attempt released it): the caller may simply retry.
            return new InFlight();
        }

        if (reader.GetString(0) != requestHash)
        {
            return new Mismatch();
        }

        if (reader.GetBoolean(1))
        {
            return new Replay(new StoredResponse(reader.GetInt32(2), reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4)));
        }

        var lockedUntil = reader.GetFieldValue<DateTimeOffset>(5);
        await reader.DisposeAsync();
        return lockedUntil > now ? new InFlight() : await TakeOverAsync(connection, key, (now, leaseEnd), token, cancellationToken);
    }

    /// <summary>
    /// A reservation whose lease ran out belongs to a request that died or is stuck; the first retry takes it over with a
    /// new token, so that the old request, should it wake up, can neither complete nor release the key.
    /// </summary>
    private static async Task<Reservation> TakeOverAsync(NpgsqlConnection connection, string key, (DateTimeOffset Now, DateTimeOffset End) lease,
        Guid token, CancellationToken cancellationToken)
    {
        await using var update = new NpgsqlCommand(
            $"update {Table} set locked_until = $2, lease_token = $4 where key = $1 and completed_at is null and locked_until <= $3", connection);
        update.Parameters.Add(new() { Value = key });
        update.Parameters.Add(new() { Value = lease.End });
        update.Parameters.Add(new() { Value = lease.Now });
        update.Parameters.Add(new() { Value = token });
        return await update.ExecuteNonQueryAsync(cancellationToken) == 1 ? new Reserved(token) : new InFlight();
    }

    /// <summary>Stores a finished request's response on a connection of its own.</summary>
    public async Task<bool> CompleteAsync(string key, Guid token, StoredResponse response, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await CompleteAsync(connection, key, token, response, cancellationToken);
    }

    /// <summary>
    /// Stores a finished request's response, in the connection's transaction if one is open; false when the request's
    /// token no longer holds the key. The update locks the row, and under read committed it re-reads a row that a concurrent
    /// takeover has just changed, so a request whose token was replaced always updates zero rows. Marten's queued SQL
    /// cannot report a row count, which is why this runs as a command of its own.
    /// </summary>
    public static async Task<bool> CompleteAsync(NpgsqlConnection connection, string key, Guid token, StoredResponse response,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(response);
        await using var command = connection.CreateCommand();
        command.CommandText = $"update {Table} set completed_at = now(), response_status = $3, response_body = $4, response_location = $5 " +
                              "where key = $1 and lease_token = $2 and completed_at is null";
        command.Parameters.Add(new() { Value = key });
        command.Parameters.Add(new() { Value = token });
        command.Parameters.Add(new() { Value = response.Status });
        command.Parameters.Add(new() { Value = response.Body });
        command.Parameters.Add(new() { Value = response.Location ?? (object)DBNull.Value });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>
    /// Stores the responses of several requests in the connection's transaction, in one statement, as
    /// <see cref="CompleteAsync(NpgsqlConnection, string, Guid, StoredResponse, CancellationToken)"/> stores one; returns the
    /// lease tokens of the requests that still held their keys, which are the ones completed. Tokens, not keys: one key can
    /// come twice, from a request whose lease ran out and from the retry that took the key over, and only the retry holds it.
    /// </summary>
    public static async Task<HashSet<Guid>> CompleteAllAsync(NpgsqlConnection connection,
        IReadOnlyList<(IdempotentAnswer Answer, StoredResponse Response)> answers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(answers);
        await using var command = connection.CreateCommand();
        command.CommandText =
            $"update {Table} t set completed_at = now(), response_status = a.status, response_body = a.body, response_location = a.location " +
            "from unnest($1::text[], $2::uuid[], $3::int[], $4::text[], $5::text[]) as a(key, token, status, body, location) " +
            "where t.key = a.key and t.lease_token = a.token and t.completed_at is null returning t.lease_token";
        command.Parameters.Add(new() { Value = answers.Select(answer => answer.Answer.Key).ToArray() });
        command.Parameters.Add(new() { Value = answers.Select(answer => answer.Answer.Token).ToArray() });
        command.Parameters.Add(new() { Value = answers.Select(answer => answer.Response.Status).ToArray() });
        command.Parameters.Add(new() { Value = answers.Select(answer => answer.Response.Body).ToArray() });
        command.Parameters.Add(new() { Value = answers.Select(answer => answer.Response.Location).ToArray() });
        var completed = new HashSet<Guid>(answers.Count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            completed.Add(reader.GetGuid(0));
        }

        return completed;
    }

    /// <summary>
    /// Frees the key of a request that failed without effect, so that a retry runs it again; a request that lost its lease
    /// must not free the key of the retry that took it over.
    /// </summary>
    public async Task ReleaseAsync(string key, Guid token)
    {
        await using var command = dataSource.CreateCommand($"delete from {Table} where key = $1 and lease_token = $2 and completed_at is null");
        command.Parameters.Add(new() { Value = key });
        command.Parameters.Add(new() { Value = token });
        await command.ExecuteNonQueryAsync(CancellationToken.None);
    }

    public async Task<int> PurgeAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"delete from {Table} where completed_at is not null and created_at < $1");
        command.Parameters.Add(new() { Value = clock.GetUtcNow() - options.Value.Retention });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static string Hash(string method, string path, ReadOnlySpan<byte> body)
    {
        var canonicalBody = Canonical(body);
        var text = Encoding.UTF8.GetBytes($"{method}\n{path}\n");
        var all = new byte[text.Length + canonicalBody.Length];
        text.CopyTo(all, 0);
        canonicalBody.CopyTo(all, text.Length);
        return Convert.ToHexStringLower(SHA256.HashData(all));
    }

    /// <summary>Compact JSON, so that whitespace alone does not make a retry look like a different request.</summary>
    private static byte[] Canonical(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            return JsonSerializer.SerializeToUtf8Bytes(document.RootElement);
        }
        catch (JsonException)
        {
            return body.ToArray();
        }
    }
}

/// <summary>
/// Honours <c>Idempotency-Key</c> on command endpoints: same key and body → the first response replayed with
/// <c>Idempotency-Replayed: true</c>; same key, other body → 422; same key while the first still runs → 409.
/// </summary>
public sealed class IdempotencyFilter(IdempotencyStore store, IdempotencyScope scope) : IEndpointFilter
{
    public const string KeyHeader = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotency-Replayed";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var http = context.HttpContext;
        if (!http.Request.Headers.TryGetValue(KeyHeader, out var values))
        {
            return await next(context);
        }

        var key = values.ToString();
        if (values.Count != 1 || key.Length is 0 or > IdempotencyOptions.KeyLengthMax || !key.All(c => c is >= ' ' and <= '~'))
        {
            throw Invalid.Parameter(KeyHeader, $"'{KeyHeader}' must be 1 to {IdempotencyOptions.KeyLengthMax} printable ASCII characters.");
        }

        var command = http.GetEndpoint()?.Metadata.GetMetadata<IdempotentCommand>()
                      ?? throw new InvalidOperationException("Idempotency filter on an endpoint without IdempotentCommand metadata.");
        var hash = IdempotencyStore.Hash(http.Request.Method, http.Request.Path, await ReadBodyAsync(http.Request));
        var reservation = await store.ReserveAsync(key, hash, http.RequestAborted);
        switch (reservation)
        {
            case IdempotencyStore.Replay replay:
                return new ReplayResult(replay.Response);
            case IdempotencyStore.Mismatch:
                throw new ProblemException(Problems.IdempotencyKeyReused, $"Idempotency-Key '{key}' was first used with a different request.");
            case IdempotencyStore.InFlight:
                throw new ProblemException(Problems.IdempotencyKeyInFlight, $"A request with Idempotency-Key '{key}' is still being processed; retry later.");
        }

        scope.Key = key;
        scope.Token = ((IdempotencyStore.Reserved)reservation).Token;
        scope.Command = command;
        try
        {
            return await next(context);
        }
        finally
        {
            // A request that recorded no answer (it failed, or was refused) had no effect: a retry may run it again.
            if (!scope.Completed)
            {
                await store.ReleaseAsync(key, scope.Token);
            }
        }
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request)
    {
        // Buffering is switched on before model binding for requests that carry the header (see UseIdempotencyBuffering).
        if (!request.Body.CanSeek)
        {
            return [];
        }

        request.Body.Position = 0;
        using var copy = new MemoryStream();
        await request.Body.CopyToAsync(copy, request.HttpContext.RequestAborted);
        return copy.ToArray();
    }

    private sealed class ReplayResult(StoredResponse response) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = response.Status;
            httpContext.Response.Headers[ReplayedHeader] = "true";
            if (response.Location is not null)
            {
                httpContext.Response.Headers.Location = response.Location;
            }

            httpContext.Response.ContentType = "application/json; charset=utf-8";
            await httpContext.Response.WriteAsync(response.Body, httpContext.RequestAborted);
        }
    }
}

public static class IdempotencyExtensions
{
    public static IApplicationBuilder UseIdempotencyBuffering(this IApplicationBuilder app) =>
        app.Use((http, next) =>
        {
            if (http.Request.Headers.ContainsKey(IdempotencyFilter.KeyHeader))
            {
                http.Request.EnableBuffering();
            }

            return next(http);
        });

    public static RouteHandlerBuilder Idempotent(this RouteHandlerBuilder builder, int status, Func<object, string?>? location = null) =>
        builder.WithMetadata(new IdempotentCommand(status, location)).AddEndpointFilter<IdempotencyFilter>();
}

/// <summary>Deletes stored responses older than the retention period, once an hour.</summary>
public sealed class IdempotencyJanitor(IdempotencyStore store, ILogger<IdempotencyJanitor> logger, TimeProvider clock) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        do
        {
            try
            {
                var purged = await store.PurgeAsync(stoppingToken);
                if (purged > 0)
                {
                    logger.LogInformation("Purged {Count} expired idempotency keys", purged);
                }
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
            {
                logger.LogWarning(exception, "Purging expired idempotency keys failed; will retry in {Interval}", Interval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
