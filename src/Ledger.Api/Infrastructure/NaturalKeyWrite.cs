using Marten;
using JasperFx;
using Marten.Exceptions;

namespace Ledger.Api.Infrastructure;

/// <summary>
/// Runs a command whose id the client may choose (an account id, a transfer id): the id is an idempotency key that never
/// expires, kept by the event store itself. The write looks the id up first and answers a repeat itself; a concurrent
/// request with the same id that commits first makes this one's write fail on the store's uniqueness. That failure is
/// answered by looking the id up again (<c>findFirst</c>, which throws the command's own problem for other content),
/// exactly as if this request had come second, never by running the write again (ADR-004).
/// </summary>
public sealed class NaturalKeyWrite(LedgerSessions sessions, CommandCommit commit)
{
    public async Task<TView> RunAsync<TView>(
        Func<IQuerySession, CancellationToken, Task<TView?>> findFirst,
        Func<CancellationToken, Task<TView>> write,
        CancellationToken cancellationToken)
        where TView : class
    {
        ArgumentNullException.ThrowIfNull(findFirst);
        ArgumentNullException.ThrowIfNull(write);
        try
        {
            return await write(cancellationToken);
        }
        catch (Exception exception) when (IsDuplicate(exception))
        {
            await using var session = sessions.OpenReadSession();
            if (await findFirst(session, cancellationToken) is not { } first)
            {
                // The uniqueness that failed was not this command's id: the failure is what it says it is.
                throw;
            }

            return await commit.ReplayAsync(first, cancellationToken);
        }
    }

    /// <summary>The ways Marten and PostgreSQL report that a stream, a document or a row with this id was just created.</summary>
    private static bool IsDuplicate(Exception exception) =>
        exception is ExistingStreamIdCollisionException or DocumentAlreadyExistsException ||
        ExceptionChain.HasSqlState(exception, Npgsql.PostgresErrorCodes.UniqueViolation);
}
