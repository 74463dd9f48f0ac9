using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Ledger.Cli.Database;
using Ledger.Cli.Output;
using Ledger.Domain.Money;
using Ledger.EventStore.Projections;
using Spectre.Console;

namespace Ledger.Cli.Checks;

/// <summary>
/// <c>ledger check bank</c>: Jepsen's bank workload against a running API, then the bank invariants (<see cref="BankChecker"/>);
/// exit code 0 when every check holds, 1 on any violation or when the run could not be completed.
/// </summary>
internal static class CheckCommands
{
    private const int ClientsMax = 256;
    private const int AccountsMax = 1_000;
    private const int ReadersMax = 16;
    private static readonly TimeSpan DurationMax = TimeSpan.FromHours(24);

    public static Command Create() => new("check", "Check the ledger's invariants under load.") { CreateBank() };

    private static Command CreateBank()
    {
        var url = new Option<Uri>("--url")
        {
            Description = "The API's base address (http://localhost:5080).",
            Required = true,
            CustomParser = ParseAddress,
        };
        var token = new Option<string>("--token") { Description = "An admin bearer token (`ledger token --role admin --subject bank-check`).", Required = true };
        var duration = new Option<TimeSpan>("--duration")
        {
            Description = "How long the clients run: 500ms, 30s, 5m (at most 24h).",
            DefaultValueFactory = _ => TimeSpan.FromSeconds(60),
            CustomParser = ParseDuration,
        };
        var clients = Counted("--clients", "Concurrent clients sending commands", 16, 1, ClientsMax);
        var accounts = Counted("--accounts", "Accounts to open and fund", 10, 2, AccountsMax);
        var readers = Counted("--readers", "Concurrent snapshot readers (trial-balance and as-of reads)", 2, 0, ReadersMax);
        var seed = new Option<int>("--seed") { Description = "The random seed of the commands' choices (ids are new on every run).", DefaultValueFactory = _ => 1 };
        var currency = new Option<string>("--currency")
        {
            Description = "The accounts' currency; trial-balance reads assume no one else writes in it during the run, so pick a rarely used one.",
            DefaultValueFactory = _ => "BOV",
        };
        currency.Validators.Add(result =>
        {
            if (!Currency.TryFind(result.GetValueOrDefault<string>(), out _))
            {
                result.AddError($"--currency must be a known ISO 4217 code with a minor unit, not '{result.GetValueOrDefault<string>()}'.");
            }
        });
        var bootstrapServers = new Option<string>("--bootstrap-servers")
        {
            Description = "Kafka brokers: also check that every event of the run's accounts was published (deduplicated by ce_id).",
        };
        var kafkaWait = new Option<TimeSpan>("--kafka-wait")
        {
            Description = "How long to wait for the relay to publish every event of the run.",
            DefaultValueFactory = _ => TimeSpan.FromSeconds(60),
            CustomParser = ParseDuration,
        };
        var json = new Option<bool>("--json") { Description = "Machine-readable output on stdout (JSON, camelCase)." };
        var database = new DatabaseOptions();
        var command = new Command("bank",
            "Open and fund fresh accounts, run concurrent random transfers, deposits and withdrawals (retrying the same idempotent "
            + "request on outages) while reading trial balances and as-of balances, then check the bank invariants. "
            + $"With {database.Connection.Name} also verify every projection; with --bootstrap-servers also check the Kafka topic.")
        {
            url, token, duration, clients, accounts, readers, seed, currency, bootstrapServers, kafkaWait, json,
        };
        database.AddTo(command);
        command.Validators.Add(database.Validate);
        command.SetAction((parseResult, cancellation) =>
        {
            var settings = new BankSettings(parseResult.GetValue(duration), parseResult.GetValue(clients), parseResult.GetValue(accounts),
                parseResult.GetValue(seed), Currency.Find(parseResult.GetRequiredValue(currency)), parseResult.GetValue(readers));
            var options = new BankCheckOptions(parseResult.GetRequiredValue(url), parseResult.GetRequiredValue(token),
                parseResult.GetValue(bootstrapServers), parseResult.GetValue(kafkaWait),
                parseResult.GetResult(database.Connection) is { Implicit: false } || parseResult.GetResult(database.DataDirectory) is { Implicit: false });
            return BankCheck.RunAsync(parseResult, database, CliOutput.For(parseResult, parseResult.GetValue(json)), settings, options, cancellation);
        });
        return command;
    }

    private static Option<int> Counted(string name, string what, int byDefault, int minimum, int maximum)
    {
        var option = new Option<int>(name) { Description = $"{what} ({minimum} to {maximum:N0}).", DefaultValueFactory = _ => byDefault };
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<int>();
            if (value < minimum || value > maximum)
            {
                result.AddError($"{name} must be between {minimum:N0} and {maximum:N0}, not {value:N0}.");
            }
        });
        return option;
    }

    private static Uri ParseAddress(ArgumentResult result)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        if (Uri.TryCreate(text, UriKind.Absolute, out var address) && address.Scheme is "http" or "https")
        {
            return address;
        }

        result.AddError($"--url must be an absolute http or https address, not '{text}'.");
        return null!;
    }

    private static TimeSpan ParseDuration(ArgumentResult result)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        var (digits, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], TimeSpan.FromMilliseconds(1))
            : text.EndsWith('s') ? (text[..^1], TimeSpan.FromSeconds(1))
            : text.EndsWith('m') ? (text[..^1], TimeSpan.FromMinutes(1))
            : text.EndsWith('h') ? (text[..^1], TimeSpan.FromHours(1))
            : (text, TimeSpan.FromSeconds(1));
        if (long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count > 0
            && count <= DurationMax.Ticks / unit.Ticks)
        {
            return unit * count;
        }

        result.AddError($"{result.Argument.Name} must be a positive duration such as 500ms, 30s, 5m or 1h, at most 24h; not '{text}'.");
        return default;
    }
}

internal sealed record BankCheckOptions(Uri Url, string Token, string? BootstrapServers, TimeSpan KafkaWait, bool VerifyProjections);
