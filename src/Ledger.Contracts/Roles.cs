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

    public static IReadOnlyList<string> All { get; } = [Teller, Auditor, Analyst, Admin];
}
