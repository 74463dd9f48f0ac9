using System.Globalization;
using System.Text.Json;

namespace Ledger.Testing;

/// <summary>
/// The instants between events, and where an entry or a view sits (version, sequence). Instants are built from the
/// <c>occurredAt</c> the server recorded (to the microsecond), never from sleeping, so "between two events" is exact.
/// </summary>
public static class AuditTimes
{
    /// <summary>The format of every <c>occurredAt</c> (docs/audit.md, rule 7).</summary>
    public const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    /// <summary>The resolution of recorded event times.</summary>
    public static readonly TimeSpan Microsecond = TimeSpan.FromTicks(10);

    public static string Format(DateTimeOffset instant) => instant.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    /// <summary>An instant as a query-string value.</summary>
    public static string Query(DateTimeOffset instant) => Uri.EscapeDataString(Format(instant));

    public static DateTimeOffset ParseTime(string text) =>
        DateTimeOffset.ParseExact(text, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    public static DateTimeOffset OccurredAt(this JsonElement entry) => ParseTime(entry.GetProperty("occurredAt").GetString()!);

    public static long Version(this JsonElement element) => element.GetProperty("version").GetInt64();

    public static long Sequence(this JsonElement element) => element.GetProperty("sequence").GetInt64();
}
