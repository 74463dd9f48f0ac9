using System.Security.Claims;
using Ledger.Contracts;
using Microsoft.AspNetCore.Authorization;

namespace Ledger.Api.Security;

/// <summary>
/// Who may call what: one policy per kind of access, each a set of roles, and every endpoint maps under exactly one of them.
/// An endpoint mapped without a policy still needs a signed-in caller (the fallback policy), and the role-matrix test fails
/// until it is given one.
/// </summary>
public static class Access
{
    /// <summary>Open accounts, deposit, withdraw, transfer; place, capture and release holds; unfreeze and close accounts.</summary>
    public const string MoveMoney = "move-money";

    /// <summary>Freeze an account: a teller's or supervisor's act, and the one thing the fraud service may do.</summary>
    public const string Freeze = "freeze";

    /// <summary>Approve or reject a movement awaiting approval (four eyes).</summary>
    public const string Approve = "approve";

    /// <summary>The current account and transfer views; an account as of an instant or version is an audit read.</summary>
    public const string ReadAccounts = "read-accounts";

    /// <summary>History, statements, integrity, the trial balance, the audit log's status, fraud alerts.</summary>
    public const string Audit = "audit";

    /// <summary>Reports, the projections and their rebuilds' progress.</summary>
    public const string Report = "report";

    /// <summary>Starting a projection rebuild.</summary>
    public const string Rebuild = "rebuild";

    /// <summary>The relay, the system view, consumer gaps and metrics.</summary>
    public const string Operate = "operate";

    private static readonly string[] CurrentReaders = [Roles.Teller, Roles.Supervisor, Roles.Auditor, Roles.Analyst, Roles.Admin];

    /// <summary>The roles each policy admits.</summary>
    public static IReadOnlyDictionary<string, string[]> PolicyRoles { get; } = new Dictionary<string, string[]>
    {
        [MoveMoney] = [Roles.Teller, Roles.Supervisor, Roles.Admin],
        [Freeze] = [Roles.Teller, Roles.Supervisor, Roles.Admin, Roles.Fraud],
        [Approve] = [Roles.Supervisor],
        [ReadAccounts] = CurrentReaders,
        [Audit] = [Roles.Auditor, Roles.Admin],
        [Report] = [Roles.Analyst, Roles.Auditor, Roles.Admin],
        [Rebuild] = [Roles.Analyst, Roles.Admin],
        [Operate] = [Roles.Admin],
    };

    public static void AddPolicies(AuthorizationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (var (policy, roles) in PolicyRoles.Where(pair => pair.Key != ReadAccounts))
        {
            options.AddPolicy(policy, builder => builder.RequireAuthenticatedUser().RequireRole(roles));
        }

        // The account view is a teller's read now, and an auditor's read at an instant or version.
        options.AddPolicy(ReadAccounts, builder => builder.RequireAuthenticatedUser().RequireAssertion(context =>
            context.Resource is HttpContext http && IsInAny(context.User, RolesFor(ReadAccounts, http))));
        options.FallbackPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build();
    }

    /// <summary>The roles that may make this request under <paramref name="policy"/>.</summary>
    public static string[] RolesFor(string policy, HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        return policy == ReadAccounts && IsPointInTime(http.Request) ? PolicyRoles[Audit] : PolicyRoles[policy];
    }

    /// <summary>Why a signed-in caller was refused: the roles the request needs and the roles the token carries.</summary>
    public static string DescribeRefusal(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var policy = http.GetEndpoint()?.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(data => data.Policy)
            .LastOrDefault(name => name is not null && PolicyRoles.ContainsKey(name));
        var held = Roles.All.Where(http.User.IsInRole).ToList();
        var has = held.Count == 0 ? "no ledger role" : $"the role(s) {string.Join(", ", held)}";
        return policy is null
            ? $"{http.Request.Method} {http.Request.Path}: the token has {has}."
            : $"{http.Request.Method} {http.Request.Path} needs one of the roles {string.Join(", ", RolesFor(policy, http))}; the token has {has}.";
    }

    private static bool IsPointInTime(HttpRequest request) =>
        request.Query.ContainsKey("asOf") || request.Query.ContainsKey("atVersion");

    private static bool IsInAny(ClaimsPrincipal user, IEnumerable<string> roles) => roles.Any(user.IsInRole);
}
