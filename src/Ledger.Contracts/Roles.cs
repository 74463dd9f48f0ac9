namespace Ledger.Contracts;

/// <summary>
/// The roles a ledger token may carry in its role claim: what an identity provider must issue (docs/security.md has the
/// matrix of who may call what).
/// </summary>
public static class Roles
{
    public const string Teller = "teller";
    public const string Auditor = "auditor";
    public const string Analyst = "analyst";
    public const string Admin = "admin";

    /// <summary>A teller's senior: everything a teller does, and the second pair of eyes that approves large movements.</summary>
    public const string Supervisor = "supervisor";

    /// <summary>A service identity, not a person: the fraud consumer, which may freeze accounts and nothing else.</summary>
    public const string Fraud = "fraud";

    public static IReadOnlyList<string> All { get; } = [Teller, Auditor, Analyst, Admin, Supervisor, Fraud];
}
