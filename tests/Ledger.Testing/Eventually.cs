using System.Text.Json;

namespace Ledger.Testing;

/// <summary>Waits on a condition instead of sleeping: polls until it holds, or fails with what was expected.</summary>
public static class Eventually
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a condition may take by default: generous, since a shared 2-core machine can be slow, and a wait ends as soon as it holds.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public static Task HoldsAsync(Func<Task<bool>> condition, string expected, TimeSpan? limit = null) =>
        PollAsync(condition, () => $"Waited in vain: {expected}.", limit);

    /// <summary>Polls until <paramref name="probe"/> finds something, and returns it.</summary>
    public static async Task<T> FoundAsync<T>(Func<Task<T?>> probe, string expected = "the expected effect shows", TimeSpan? limit = null)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(probe);
        T? found = null;
        await HoldsAsync(async () => (found = await probe()) is not null, expected, limit);
        return found!;
    }

    /// <summary>Polls until <paramref name="probe"/> finds a value, and returns it.</summary>
    public static async Task<T> FoundAsync<T>(Func<Task<T?>> probe, string expected = "the expected effect shows", TimeSpan? limit = null)
        where T : struct
    {
        ArgumentNullException.ThrowIfNull(probe);
        T? found = null;
        await HoldsAsync(async () => (found = await probe()) is not null, expected, limit);
        return found!.Value;
    }

    /// <summary>
    /// Polls <paramref name="read"/> until <paramref name="reached"/> holds for what it read, and returns that; a failure
    /// names the last value read, which usually says why.
    /// </summary>
    public static async Task<T> ReachesAsync<T>(Func<Task<T>> read, Func<T, bool> reached, string expected, TimeSpan? limit = null)
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(reached);
        var last = default(T);
        await PollAsync(async () => reached(last = await read()), () => $"Waited in vain: {expected}; last read: {Describe(last)}.", limit);
        return last!;
    }

    private static async Task PollAsync(Func<Task<bool>> condition, Func<string> failure, TimeSpan? limit)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = DateTime.UtcNow + (limit ?? Patience);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(failure());
            }

            await Task.Delay(Interval);
        }
    }

    private static string Describe<T>(T value)
    {
        if (value is null or JsonElement or string)
        {
            return $"{value}";
        }

        try
        {
            return JsonSerializer.Serialize(value);
        }
        catch (NotSupportedException)
        {
            // Some values (a dictionary keyed by a type JSON cannot name) have no JSON form; their text still helps.
            return $"{value}";
        }
    }
}
