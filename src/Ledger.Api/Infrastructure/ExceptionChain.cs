using Npgsql;

namespace Ledger.Api.Infrastructure;

/// <summary>Marten and Npgsql wrap the cause of a failure in one or more layers; these look through all of them.</summary>
public static class ExceptionChain
{
    public static IEnumerable<Exception> Of(Exception exception)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            yield return current;
        }
    }

    public static bool HasSqlState(Exception exception, string sqlState) =>
        Of(exception).Any(current => current is PostgresException postgres && postgres.SqlState == sqlState);
}
