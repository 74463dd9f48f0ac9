using System.Globalization;
using Ledger.Domain.Money;
using Microsoft.Extensions.Options;

namespace Ledger.Api.Approvals;

/// <summary>
/// <c>Approvals:*</c> settings: four eyes. A withdrawal or a transfer of more than its currency's threshold (major units)
/// is not executed at once: it waits, as a hold on the source account, until a supervisor other than the requester approves
/// or rejects it. A currency without a threshold never waits.
/// </summary>
public sealed class ApprovalOptions
{
    public const string Section = "Approvals";

    /// <summary>Currency code → the largest amount executed without approval, in major units.</summary>
    public Dictionary<string, decimal> Thresholds { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether a debit of <paramref name="amountMinor"/> in <paramref name="currency"/> needs a second person's approval.</summary>
    public bool Requires(Currency currency, long amountMinor)
    {
        ArgumentNullException.ThrowIfNull(currency);
        return Thresholds.TryGetValue(currency.Code, out var threshold) && MinorUnits.ToMajor(amountMinor, currency) > threshold;
    }

    /// <summary>
    /// What the configuration binder drops without a word, each naming its setting: a threshold that is no number, and a
    /// setting of this section that does not exist (<c>Approvals:Threshold:EUR</c>). Either would leave a currency without
    /// a threshold, and its large movements would never wait for approval.
    /// </summary>
    public static IReadOnlyList<string> Unread(IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var problems = new List<string>();
        foreach (var setting in section.GetChildren().Where(child => !string.Equals(child.Key, nameof(Thresholds), StringComparison.OrdinalIgnoreCase)))
        {
            problems.Add($"{Section}:{setting.Key} is not a setting; thresholds are {Section}:{nameof(Thresholds)}:<currency code>.");
        }

        foreach (var threshold in section.GetSection(nameof(Thresholds)).GetChildren())
        {
            // As the binder reads a decimal (DecimalConverter): invariant culture, NumberStyles.Float.
            if (threshold.Value is null || !decimal.TryParse(threshold.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            {
                problems.Add($"{Section}:{nameof(Thresholds)}:{threshold.Key} must be an amount in major units; it is '{threshold.Value}'.");
            }
        }

        return problems;
    }

    /// <summary>Every problem with these settings, each naming its setting; empty when they are valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        foreach (var (code, threshold) in Thresholds)
        {
            if (!Currency.TryFind(code, out var currency))
            {
                problems.Add($"{Section}:Thresholds:{code} is not a known ISO 4217 currency code (upper case).");
            }
            else if (threshold < 0 || !MinorUnits.TryFromMajor(threshold, currency, out _))
            {
                problems.Add($"{Section}:Thresholds:{code} must be zero or more, with at most {currency.Exponent} decimals; it is {threshold}.");
            }
        }

        return problems;
    }
}

/// <summary>Fails start-up (with <c>ValidateOnStart</c>) when the settings are invalid, or were not all read.</summary>
public sealed class ApprovalOptionsValidator(IConfiguration configuration) : IValidateOptions<ApprovalOptions>
{
    public ValidateOptionsResult Validate(string? name, ApprovalOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = ApprovalOptions.Unread(configuration.GetSection(ApprovalOptions.Section)).Concat(options.Problems()).ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
