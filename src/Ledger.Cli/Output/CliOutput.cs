using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;

namespace Ledger.Cli.Output;

/// <summary>
/// Where a command writes: <see cref="Console"/> for people, <see cref="WriteJsonAsync{T}"/> for scripts (<c>--json</c>),
/// <see cref="ErrorAsync"/> for failures (stderr, always plain). Colours, live progress and box tables only when stdout is
/// a terminal; redirected output carries no escape codes at all, whatever TERM says.
/// </summary>
internal sealed class CliOutput
{
    /// <summary>Wide enough that no table of ours wraps when redirected, where there is no window to fit.</summary>
    private const int RedirectedWidth = 240;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private readonly TextWriter _output;
    private readonly TextWriter _error;

    public CliOutput(TextWriter output, TextWriter error, bool json)
    {
        _output = output;
        _error = error;
        IsJson = json;
        // Only the process's own stdout can be a terminal; any other writer (a test's, a file's) is redirected output.
        IsTerminal = ReferenceEquals(output, System.Console.Out) && !System.Console.IsOutputRedirected;
        Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = IsTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = IsTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = IsTerminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!IsTerminal)
        {
            Console.Profile.Width = RedirectedWidth;
        }
    }

    public bool IsJson { get; }

    /// <summary>Live progress and colours make sense only here.</summary>
    public bool IsTerminal { get; }

    public IAnsiConsole Console { get; }

    public static CliOutput For(ParseResult parseResult, bool json)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        return new CliOutput(parseResult.InvocationConfiguration.Output, parseResult.InvocationConfiguration.Error, json);
    }

    public async Task WriteJsonAsync<T>(T value)
    {
        await _output.WriteLineAsync(JsonSerializer.Serialize(value, Json));
        await _output.FlushAsync();
    }

    /// <summary>A plain line on stdout, for progress when redirected.</summary>
    public async Task WriteLineAsync(string line)
    {
        await _output.WriteLineAsync(line);
        await _output.FlushAsync();
    }

    public async Task ErrorAsync(string message)
    {
        await _error.WriteLineAsync(message);
        await _error.FlushAsync();
    }

    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Seconds(TimeSpan elapsed) => elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";

    public static string Rate(double perSecond) => perSecond.ToString("N0", CultureInfo.InvariantCulture) + " events/s";

    public static string Eta(TimeSpan? remaining) => remaining is { } value
        ? value.ToString(value.TotalHours >= 1 ? @"h\:mm\:ss" : @"m\:ss", CultureInfo.InvariantCulture)
        : "--:--";
}
