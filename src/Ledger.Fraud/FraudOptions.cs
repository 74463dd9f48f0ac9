using Ledger.Domain.Money;
using Microsoft.Extensions.Options;

namespace Ledger.Fraud;

/// <summary>
/// <c>Fraud:*</c> settings: one section per rule, each with its own <c>Enabled</c> and <c>FreezeAccount</c> switches, and
/// <c>Fraud:Actions</c>, how the consumer reaches the API when a rule freezes (ADR-025). Amounts are in major units of
/// their currency, as people write them; windows are measured in event time (<c>occurredAt</c>), never arrival time.
/// </summary>
public sealed class FraudOptions
{
    public const string Section = "Fraud";

    /// <summary>No window may be longer: every evaluation reads at most this much of an account's history.</summary>
    public static readonly TimeSpan WindowMax = TimeSpan.FromDays(7);

    public LargeDebitOptions LargeDebit { get; } = new();

    public VelocityOptions Velocity { get; } = new();

    public DepositDrainOptions DepositDrain { get; } = new();

    public FraudActionsOptions Actions { get; } = new();

    /// <summary>Each rule's setting section name (<c>LargeDebit</c>) by the rule's name in alerts (<c>large-debit</c>).</summary>
    private IEnumerable<(string Rule, string Section, FraudRuleOptions Options)> Rules =>
    [
        (FraudRules.LargeDebit, nameof(LargeDebit), LargeDebit),
        (FraudRules.Velocity, nameof(Velocity), Velocity),
        (FraudRules.DepositDrain, nameof(DepositDrain), DepositDrain),
    ];

    /// <summary>Whether an alert of <paramref name="rule"/> freezes its account: the rule is enabled and has <c>FreezeAccount</c>.</summary>
    public bool Freezes(string rule) => Rules.Any(each => each.Rule == rule && each.Options is { Enabled: true, FreezeAccount: true });

    /// <summary>Whether any rule freezes accounts, so that the consumer needs <see cref="Actions"/>.</summary>
    public bool FreezesAny => Rules.Any(each => each.Options is { Enabled: true, FreezeAccount: true });

    /// <summary>Every problem with these settings, empty when they are valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        foreach (var (code, threshold) in LargeDebit.Thresholds)
        {
            if (!Currency.TryFind(code, out _))
            {
                problems.Add($"{Section}:LargeDebit:Thresholds:{code} is not a known ISO 4217 currency code (upper case).");
            }

            if (threshold <= 0)
            {
                problems.Add($"{Section}:LargeDebit:Thresholds:{code} must be positive.");
            }
        }

        if (Velocity.DebitsMax < 1)
        {
            problems.Add($"{Section}:Velocity:DebitsMax must be at least 1.");
        }

        CheckWindow(problems, "Velocity", Velocity.Window);
        if (DepositDrain.Percent <= 0 || DepositDrain.Percent > DepositDrainOptions.PercentMax)
        {
            problems.Add($"{Section}:DepositDrain:Percent must be above 0 and at most {DepositDrainOptions.PercentMax}.");
        }

        CheckWindow(problems, "DepositDrain", DepositDrain.Window);
        var freezing = Rules.Where(each => each.Options is { Enabled: true, FreezeAccount: true })
            .Select(each => $"{Section}:{each.Section}:FreezeAccount").ToList();
        problems.AddRange(Actions.Problems(freezing));
        return problems;
    }

    private static void CheckWindow(List<string> problems, string rule, TimeSpan window)
    {
        if (window <= TimeSpan.Zero || window > WindowMax)
        {
            problems.Add($"{Section}:{rule}:Window must be positive and at most {WindowMax}.");
        }
    }
}

/// <summary>What every rule has: whether it runs, and whether its alerts freeze the account they are about.</summary>
public abstract class FraudRuleOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Whether an alert of this rule freezes its account through the API (ADR-025); off by default. When on, the
    /// <see cref="FraudActionsOptions"/> must say where the API is and with which token.
    /// </summary>
    public bool FreezeAccount { get; set; }
}

/// <summary>A single withdrawal or outgoing transfer at or above the threshold of its currency.</summary>
public sealed class LargeDebitOptions : FraudRuleOptions
{
    /// <summary>Currency code → threshold in major units. A currency without an entry never triggers the rule.</summary>
    public Dictionary<string, decimal> Thresholds { get; } = new(StringComparer.Ordinal)
    {
        ["EUR"] = 10_000m,
        ["USD"] = 10_000m,
        ["GBP"] = 10_000m,
        ["CHF"] = 10_000m,
        ["JPY"] = 1_500_000m,
    };
}

/// <summary>More than <see cref="DebitsMax"/> debits from one account within <see cref="Window"/>.</summary>
public sealed class VelocityOptions : FraudRuleOptions
{
    /// <summary>N: the most debits a window may hold without an alert.</summary>
    public int DebitsMax { get; set; } = 5;

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>A deposit followed within <see cref="Window"/> by debits adding up to at least <see cref="Percent"/> % of it.</summary>
public sealed class DepositDrainOptions : FraudRuleOptions
{
    /// <summary>Upper bound of <see cref="Percent"/>; above 100 % only accounts with an older balance can trigger the rule.</summary>
    public const decimal PercentMax = 1_000m;

    public decimal Percent { get; set; } = 80m;

    public TimeSpan Window { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>
/// <c>Fraud:Actions:*</c>: how the consumer issues the freezes its rules ask for. It calls the API's own command
/// (<c>POST {ApiUrl}/api/v1/accounts/{id}/freeze</c>) as a service identity with the role <c>fraud</c>, whose bearer token
/// is <see cref="Token"/> or the content of <see cref="TokenFile"/> (re-read when the file changes, for a token that an
/// identity provider renews).
/// </summary>
public sealed class FraudActionsOptions
{
    public const string Section = FraudOptions.Section + ":Actions";

    /// <summary>Bounds of <see cref="SweepInterval"/> and <see cref="RetryBackoffMax"/>.</summary>
    public static readonly TimeSpan IntervalMin = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan IntervalMax = TimeSpan.FromHours(1);

    /// <summary>The API's base address, e.g. <c>http://api:8080</c>; paths are appended to it.</summary>
    public string? ApiUrl { get; set; }

    /// <summary>A bearer token with the role <c>fraud</c>. Exclusive with <see cref="TokenFile"/>.</summary>
    public string? Token { get; set; }

    /// <summary>A file holding the bearer token (surrounding white space ignored), read again whenever it changes.</summary>
    public string? TokenFile { get; set; }

    /// <summary>How often pending freezes are looked for besides when an alert asks for one (after a restart, by another instance).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest wait between two attempts while the API refuses or cannot be reached; the wait doubles from 1 s.</summary>
    public TimeSpan RetryBackoffMax { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The problems of these settings; <paramref name="freezing"/> names the settings that turned freezes on.</summary>
    public IEnumerable<string> Problems(IReadOnlyList<string> freezing)
    {
        ArgumentNullException.ThrowIfNull(freezing);
        var on = freezing.Count == 1 ? $"{freezing[0]} is on" : $"{string.Join(", ", freezing)} are on";
        if (string.IsNullOrWhiteSpace(ApiUrl))
        {
            if (freezing.Count > 0)
            {
                yield return $"{on}, so set {Section}:ApiUrl: the base address of the ledger API that the freezes go to (e.g. http://api:8080).";
            }
        }
        else if (!Uri.TryCreate(ApiUrl, UriKind.Absolute, out var api) || (api.Scheme != Uri.UriSchemeHttp && api.Scheme != Uri.UriSchemeHttps)
                 || !string.IsNullOrEmpty(api.Query) || !string.IsNullOrEmpty(api.Fragment))
        {
            yield return $"{Section}:ApiUrl must be an absolute http or https URL without query, like http://api:8080; it is '{ApiUrl}'.";
        }

        var (token, file) = (!string.IsNullOrWhiteSpace(Token), !string.IsNullOrWhiteSpace(TokenFile));
        if (token && file)
        {
            yield return $"Set one of {Section}:Token and {Section}:TokenFile, not both.";
        }
        else if (!token && !file && freezing.Count > 0)
        {
            yield return $"{on}, so set {Section}:Token or {Section}:TokenFile: a bearer token of a service identity with the role 'fraud' " +
                         "(docs/security.md), or the file an identity provider keeps it in.";
        }
        else if (file && !File.Exists(TokenFile))
        {
            yield return $"{Section}:TokenFile '{TokenFile}' does not exist.";
        }

        foreach (var (name, value) in new[] { (nameof(SweepInterval), SweepInterval), (nameof(RetryBackoffMax), RetryBackoffMax) })
        {
            if (value < IntervalMin || value > IntervalMax)
            {
                yield return $"{Section}:{name} must be from {IntervalMin} to {IntervalMax}.";
            }
        }
    }
}

/// <summary>Fails start-up (with <c>ValidateOnStart</c>) when the settings are invalid.</summary>
public sealed class FraudOptionsValidator : IValidateOptions<FraudOptions>
{
    public ValidateOptionsResult Validate(string? name, FraudOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Problems();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
