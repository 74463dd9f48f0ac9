using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Ledger.Cli;

/// <summary>Logging shared by every command.</summary>
internal static class CliLogging
{
    /// <summary>
    /// Logs go to stderr, one line each, so that stdout carries only what a command is asked for (for example the
    /// bootstrap line of <c>ledger kafka serve</c>) and scripts can read it without filtering.
    /// </summary>
    public static ILoggerFactory Create(LogLevel minimumLevel = LogLevel.Information) =>
        LoggerFactory.Create(logging => logging
            .SetMinimumLevel(minimumLevel)
            .AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace)
            .AddSimpleConsole(options =>
            {
                options.SingleLine = true;
                options.TimestampFormat = "HH:mm:ss.fff ";
                options.UseUtcTimestamp = true;
            }));
}
