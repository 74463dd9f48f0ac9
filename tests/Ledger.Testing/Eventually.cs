namespace Ledger.Testing;

/// <summary>Waits on a condition instead of sleeping: polls until it holds, or fails with what was expected.</summary>
public static class Eventually
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a condition may take by default: generous, since a shared 2-core machine can be slow, and a wait ends as soon as it holds.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public static async Task HoldsAsync(Func<Task<bool>> condition, string expected, TimeSpan? limit = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = DateTime.UtcNow + (limit ?? Patience);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Waited in vain: {expected}.");
            }

            await Task.Delay(Interval);
        }
    }

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
}
