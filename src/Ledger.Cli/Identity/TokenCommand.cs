using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Ledger.Contracts;
using Ledger.Development.Identity;
using Microsoft.Extensions.Configuration;

namespace Ledger.Cli.Identity;

/// <summary>
/// <c>ledger token --role teller --subject ada</c>: prints a bearer token signed with the development key, which the API
/// trusts only in Development. The key is the API's own (<c>Auth:DevelopmentSigningKey</c> in its development settings,
/// shipped beside this tool), unless <c>--key</c> or <c>Auth__DevelopmentSigningKey</c> names another.
/// </summary>
internal static class TokenCommand
{
    /// <summary>The API's development settings, copied beside the tool at build time: one key, one file.</summary>
    public const string ApiDevelopmentSettings = "api.appsettings.Development.json";

    private static readonly TimeSpan LifetimeMax = TimeSpan.FromDays(30);

    public static Command Create()
    {
        var role = new Option<string[]>("--role")
        {
            Description = $"The role(s) the token carries: {string.Join(", ", Roles.All)}.",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        role.AcceptOnlyFromAmong([.. Roles.All]);
        var subject = new Option<string>("--subject")
        {
            Description = "Who the token speaks for; recorded on every event it causes.",
            Required = true,
        };
        subject.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (string.IsNullOrWhiteSpace(value) || value.Length > 200 || value.Any(char.IsControl))
            {
                result.AddError("--subject must be 1 to 200 visible characters.");
            }
        });
        var expires = new Option<TimeSpan>("--expires")
        {
            Description = "How long the token is valid: 30m, 8h, 1d (at most 30d).",
            DefaultValueFactory = _ => TimeSpan.FromHours(1),
            CustomParser = ParseLifetime,
        };
        var key = new Option<string>("--key")
        {
            Description = "The base64 signing key (default: Auth__DevelopmentSigningKey, else the API's development key).",
        };

        var command = new Command("token", "Print a development bearer token for the API (Development only).")
        {
            role,
            subject,
            expires,
            key,
        };
        command.SetAction(async (parseResult, cancellation) =>
        {
            var signingKey = parseResult.GetValue(key) ?? DevelopmentKey();
            if (signingKey is null)
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync(
                    "No development signing key: pass --key or set Auth__DevelopmentSigningKey.");
                return ExitCodes.Failure;
            }

            var token = DevelopmentTokens.Mint(DevelopmentTokens.Key(signingKey), parseResult.GetRequiredValue(subject),
                parseResult.GetRequiredValue(role).Distinct().ToArray(), parseResult.GetValue(expires), DateTimeOffset.UtcNow);
            await parseResult.InvocationConfiguration.Output.WriteLineAsync(token);
            return ExitCodes.Success;
        });
        return command;
    }

    private static string? DevelopmentKey() =>
        new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, ApiDevelopmentSettings), optional: true)
            .AddEnvironmentVariables()
            .Build()["Auth:DevelopmentSigningKey"] is { Length: > 0 } value ? value : null;

    private static TimeSpan ParseLifetime(ArgumentResult result)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        if (text.Length >= 2 && long.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count > 0)
        {
            TimeSpan? lifetime = text[^1] switch
            {
                'm' => TimeSpan.FromMinutes(count),
                'h' => TimeSpan.FromHours(Math.Min(count, 24 * 30 + 1)),
                'd' => TimeSpan.FromDays(Math.Min(count, 31)),
                _ => null,
            };
            if (lifetime is { } valid && valid <= LifetimeMax)
            {
                return valid;
            }
        }

        result.AddError($"--expires must be a positive number of minutes, hours or days (30m, 8h, 1d), at most 30d; not '{text}'.");
        return default;
    }
}
