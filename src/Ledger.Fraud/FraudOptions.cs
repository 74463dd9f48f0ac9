using Ledger.Domain.Money;
using Microsoft.Extensions.Options;

namespace Ledger.Fraud;

/// <summary>
/// <c>Fraud:*</c> settings: one section per rule, each with its own <c>Enabled</c> switch. Amounts are in major units of
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

/// <summary>A single withdrawal or outgoing transfer at or above the threshold of its currency.</summary>
public sealed class LargeDebitOptions
{
    public bool Enabled { get; set; } = true;

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
public sealed class VelocityOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>N: the most debits a window may hold without an alert.</summary>
    public int DebitsMax { get; set; } = 5;

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>A deposit followed within <see cref="Window"/> by debits adding up to at least <see cref="Percent"/> % of it.</summary>
public sealed class DepositDrainOptions
{
    /// <summary>Upper bound of <see cref="Percent"/>; above 100 % only accounts with an older balance can trigger the rule.</summary>
    public const decimal PercentMax = 1_000m;

    public bool Enabled { get; set; } = true;

    public decimal Percent { get; set; } = 80m;

    public TimeSpan Window { get; set; } = TimeSpan.FromHours(1);
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
