using System.Reflection;
using Ledger.Development.Postgres;
using Ledger.EventStore;
using Microsoft.Extensions.Options;

namespace Ledger.Development;

/// <summary>
/// The failures a host reports as one line on stderr and exit code 1 instead of a stack trace: a missing setting, a schema
/// that is not current, an invalid option, no PostgreSQL. Anything else is a bug and crashes as one.
/// </summary>
public static class StartupFailure
{
    public const string Prefix = "Ledger cannot start: ";

    /// <summary>
    /// The message to print, or null when <paramref name="exception"/> is not a refusal to start or the host is not the
    /// process's own program: a test that hosts <paramref name="program"/> in memory gets the exception itself.
    /// </summary>
    public static string? Describe(Exception exception, Assembly program) =>
        Assembly.GetEntryAssembly() == program ? Describe(exception) : null;

    private static string? Describe(Exception exception) => exception switch
    {
        StartupRefusedException or PostgresUnavailableException => exception.Message,
        OptionsValidationException invalid => string.Join(" ", invalid.Failures),
        AggregateException { InnerExceptions: var inner } when inner.All(each => Describe(each) is not null) =>
            string.Join(" ", inner.Select(each => Describe(each))),
        _ => null,
    };

    /// <summary>Writes the one line and returns the exit code.</summary>
    public static async Task<int> ReportAsync(string message)
    {
        await Console.Error.WriteLineAsync(Prefix + message);
        return 1;
    }
}
