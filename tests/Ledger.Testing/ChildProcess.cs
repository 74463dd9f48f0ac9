using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Ledger.Testing;

/// <summary>
/// One of the ledger's programs (the API, the <c>ledger</c> tool, the workers) as a real child process, for what an
/// in-process host cannot show: a redirected console, exit codes, signals, Kestrel. Both output streams are read line by
/// line as they come, so a full pipe never blocks the child and a test can wait for a line or assert on all of them.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly ConcurrentQueue<string> _error = new();
    private readonly Task _reading;

    private ChildProcess(Process process, Action<string>? log)
    {
        _process = process;
        _reading = Task.WhenAll(ReadAsync(process.StandardOutput, _output, log), ReadAsync(process.StandardError, _error, log));
    }

    /// <summary>Every line written so far, standard output first, then standard error.</summary>
    public IEnumerable<string> Output => _output.Concat(_error);

    public string StandardOutput => string.Join(Environment.NewLine, _output);

    public string StandardError => string.Join(Environment.NewLine, _error);

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Runs <paramref name="assembly"/> (a program's dll in the test's output folder) with the .NET host that runs the
    /// tests. <paramref name="environment"/> adds or overrides variables; a null value removes one. Every line either
    /// stream writes also goes to <paramref name="log"/>, when given.
    /// </summary>
    public static ChildProcess Start(string assembly, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null, Action<string>? log = null)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet",
            [Path.Combine(AppContext.BaseDirectory, assembly), .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // A program from another project's output (a full path) runs in its own folder, with its own settings files.
            WorkingDirectory = Path.IsPathRooted(assembly) ? Path.GetDirectoryName(assembly)! : AppContext.BaseDirectory,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        return new ChildProcess(Process.Start(start) ?? throw new InvalidOperationException($"{assembly} did not start."), log);
    }

    /// <summary>Runs a program to its end (killed after <paramref name="limit"/>); returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string assembly, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? limit = null)
    {
        await using var child = Start(assembly, arguments, environment);
        var exitCode = await child.WaitForExitAsync(limit);
        return (exitCode, child.StandardOutput, child.StandardError);
    }

    /// <summary>Waits until the program has exited and written its last line; returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan? limit = null)
    {
        await _process.WaitForExitAsync().WaitAsync(limit ?? Eventually.Patience);
        await _reading;
        return _process.ExitCode;
    }

    /// <summary>Waits for the first line of standard output that matches; fails if the program exits first.</summary>
    public Task<Match> WaitForOutputAsync(Regex pattern, TimeSpan? limit = null)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        return Eventually.FoundAsync(() => Task.FromResult(FirstMatch(pattern)), $"a line matching {pattern}", limit);
    }

    /// <summary>Sends SIGTERM, as a service manager stops a program (<see cref="Process.Kill()"/> sends SIGKILL).</summary>
    public async Task TerminateAsync()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    /// <summary>Sends SIGKILL, as a crash or the kernel's out-of-memory killer ends a program: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        await _reading;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        await _reading;
        _process.Dispose();
    }

    private Match? FirstMatch(Regex pattern)
    {
        // Decide on exit before reading the lines, so that a line written just before the exit is still found.
        var exited = _process.HasExited && _reading.IsCompleted;
        foreach (var line in _output)
        {
            if (pattern.Match(line) is { Success: true } match)
            {
                return match;
            }
        }

        return exited
            ? throw new InvalidOperationException($"The program exited before writing a line matching {pattern}:{Environment.NewLine}" +
                                                  string.Join(Environment.NewLine, Output))
            : null;
    }

    private static async Task ReadAsync(StreamReader reader, ConcurrentQueue<string> lines, Action<string>? log)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lines.Enqueue(line);
            log?.Invoke(line);
        }
    }
}

/// <summary>The API as a child process on a free loopback port.</summary>
public static partial class ApiProcess
{
    public const string Assembly = "Ledger.Api.dll";

    /// <summary>
    /// Starts the API with these settings (over <see cref="TestTokens.ChildProcessSettings"/>, so that it trusts the tests'
    /// tokens); it may exit at once (a test of startup failures waits for that). It listens on <paramref name="address"/>,
    /// or on a free loopback port when none is given (a restart after a kill passes the address it had).
    /// </summary>
    public static ChildProcess Start(IReadOnlyDictionary<string, string?> environment, Uri? address = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var settings = new Dictionary<string, string?>(TestTokens.ChildProcessSettings(
            environment.GetValueOrDefault("ASPNETCORE_ENVIRONMENT") ?? "Development"));
        foreach (var (name, value) in TestLimits.ChildProcessSettings)
        {
            settings[name] = value;
        }

        foreach (var (name, value) in environment)
        {
            settings[name] = value;
        }

        return ChildProcess.Start(Assembly, ["--urls", address?.GetLeftPart(UriPartial.Authority) ?? "http://127.0.0.1:0"], settings);
    }

    /// <summary>Starts the API and waits until it listens; returns it with its address.</summary>
    public static async Task<(ChildProcess Api, Uri Address)> StartAsync(IReadOnlyDictionary<string, string?> environment, Uri? address = null)
    {
        var api = Start(environment, address);
        try
        {
            var listening = await api.WaitForOutputAsync(ListeningLine(), TimeSpan.FromSeconds(90));
            return (api, new Uri(listening.Groups[1].Value));
        }
        catch
        {
            await api.DisposeAsync();
            throw;
        }
    }

    [GeneratedRegex(@"Ledger API listening on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();
}

/// <summary>The workers (src/Ledger.Workers) as a child process; their health and metrics on a free loopback port.</summary>
public static partial class WorkersProcess
{
    public const string Assembly = "Ledger.Workers.dll";

    /// <summary>
    /// Starts the workers in the default (Production) environment against the given database and Kafka, creating their tables
    /// at start when told to (ADR-015); <paramref name="environment"/> adds or overrides variables. They may exit at once (a
    /// test of startup failures waits for that).
    /// </summary>
    public static ChildProcess Start(string database, string bootstrapServers, bool applySchema = true,
        IReadOnlyDictionary<string, string?>? environment = null, string assembly = Assembly)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Ledger"] = database,
            ["Kafka__BootstrapServers"] = bootstrapServers,
            ["Kafka__ConsumerSessionTimeoutMs"] = "3000",
            ["Ledger__ApplySchemaOnStart"] = applySchema ? "true" : "false",
            ["Workers__Urls"] = "http://127.0.0.1:0",
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            settings[name] = value;
        }

        return ChildProcess.Start(assembly, [], settings);
    }

    /// <summary>
    /// The workers' dll in their own project's output, for a test project that cannot copy it beside its own (two programs'
    /// settings files would overwrite each other): it builds them (a reference without the assembly) and runs them from there.
    /// </summary>
    public static string InOwnOutput()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var (framework, configuration) = (output.Name, output.Parent!.Name);
        var repository = output.Parent.Parent!.Parent!.Parent!.Parent!.FullName;
        return Path.Combine(repository, "src", "Ledger.Workers", "bin", configuration, framework, Assembly);
    }

    /// <summary>Starts the workers and waits until they listen; returns them with their address.</summary>
    public static async Task<(ChildProcess Workers, Uri Address)> StartAsync(string database, string bootstrapServers,
        IReadOnlyDictionary<string, string?>? environment = null, string assembly = Assembly)
    {
        var workers = Start(database, bootstrapServers, environment: environment, assembly: assembly);
        try
        {
            var listening = await workers.WaitForOutputAsync(ListeningLine(), TimeSpan.FromSeconds(90));
            return (workers, new Uri(listening.Groups[1].Value));
        }
        catch
        {
            await workers.DisposeAsync();
            throw;
        }
    }

    [GeneratedRegex(@"Ledger workers listening on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();
}
