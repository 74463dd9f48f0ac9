namespace Ledger.Domain;

/// <summary>
/// Guards conditions that can only be false through a bug. Unlike <c>Debug.Assert</c> it stays in Release builds:
/// a broken invariant must stop the request (500, logged) rather than write a wrong fact.
/// </summary>
public static class Invariant
{
    public static void Assert(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvariantViolationException(message);
        }
    }
}

public sealed class InvariantViolationException(string message) : Exception(message);
