using System.Net.Sockets;
using Npgsql;

namespace Ledger.Api.Infrastructure;

/// <summary>Recognises a database that is down, restarting or unreachable, as opposed to a bug or a slow query.</summary>
public static class DatabaseAvailability
{
    public static bool IsUnavailable(Exception exception) => ExceptionChain.Of(exception).Any(current => current switch
    {
        // 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now (starting or recovering), 08xxx connection exceptions.
        PostgresException postgres => postgres.SqlState is "57P01" or "57P02" or "57P03" || postgres.SqlState.StartsWith("08", StringComparison.Ordinal),
        // A refused connection, or a server that vanished mid-conversation.
        NpgsqlException { InnerException: IOException or EndOfStreamException } => true,
        SocketException => true,
        _ => false,
    });
}

/// <summary>
/// Logs 503 answers without drowning the log during an outage: the first of each kind (problem type and cause) as one
/// warning without a stack trace, then the number that followed, once per <see cref="Window"/>.
/// </summary>
public sealed partial class UnavailableLog(ILogger<UnavailableLog> logger, TimeProvider clock) : IDisposable
{
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(30);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _repeats = [];
    private ITimer? _timer;

    public void Record(string problemType, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var cause = ExceptionChain.Of(exception).Last();
        var kind = $"{problemType} ({cause.GetType().Name})";
        lock (_gate)
        {
            if (_repeats.TryGetValue(kind, out var count))
            {
                _repeats[kind] = count + 1;
                return;
            }

            _repeats[kind] = 0;
            _timer ??= clock.CreateTimer(_ => Flush(), state: null, Window, Timeout.InfiniteTimeSpan);
        }

        Log.FirstOfKind(logger, kind, cause.Message, (int)Window.TotalSeconds);
    }

    public void Dispose() => _timer?.Dispose();

    private void Flush()
    {
        KeyValuePair<string, int>[] counts;
        lock (_gate)
        {
            counts = [.. _repeats];
            _repeats.Clear();
            _timer?.Dispose();
            _timer = null;
        }

        foreach (var (kind, count) in counts.Where(entry => entry.Value > 0))
        {
            Log.Repeated(logger, count, kind, (int)Window.TotalSeconds);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(LogLevel.Warning, "Answering 503 {Kind}: {Cause}. Further answers of this kind are counted and logged every {WindowSeconds} s")]
        public static partial void FirstOfKind(ILogger logger, string kind, string cause, int windowSeconds);

        [LoggerMessage(LogLevel.Warning, "{Count} more requests answered 503 {Kind} in the last {WindowSeconds} s")]
        public static partial void Repeated(ILogger logger, int count, string kind, int windowSeconds);
    }
}
