namespace Ledger.EventStore;

/// <summary>
/// A host refuses to start: a required setting is missing or the database schema is not current. The message names the
/// setting or the command that fixes it; hosts print it as their one line on stderr and exit with 1.
/// </summary>
public sealed class StartupRefusedException(string message) : Exception(message);
