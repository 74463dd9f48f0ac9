namespace Ledger.Testing;

/// <summary>Waits on a condition instead of sleeping: polls until it holds, or fails with what was expected.</summary>
public static class Eventually
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    public static async Task HoldsAsync(Func<Task<bool>> condition, string expected, TimeSpan? limit = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = DateTime.UtcNow + (limit ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Waited in vain: {expected}.");
            }

            await Task.Delay(Interval);
        }
    }
}
