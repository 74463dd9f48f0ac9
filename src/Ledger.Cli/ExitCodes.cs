namespace Ledger.Cli;

/// <summary>What <c>ledger</c> exits with, so that scripts can tell a refusal from a mistake from a busy projection.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The command ran and failed: a verification found differences, a rebuild was refused, the database is unreachable.</summary>
    public const int Failure = 1;

    /// <summary>The command line itself is wrong: an unknown projection, a missing option, a value out of range.</summary>
    public const int Usage = 2;

    /// <summary>Another run holds the projection, or another dead-letter replay is running; trying again later may succeed.</summary>
    public const int Busy = 3;

    /// <summary>Stopped by Ctrl+C or SIGTERM: 128 + SIGINT, as shells report it.</summary>
    public const int Cancelled = 130;
}
