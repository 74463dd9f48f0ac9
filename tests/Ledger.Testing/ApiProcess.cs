using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Ledger.Testing;

/// <summary>
/// The API as a real child process (Kestrel, the embedded PostgreSQL, signals), for what the in-memory host cannot show.
/// Its output is kept line by line for assertions on what it logged.
/// </summary>
public sealed partial class ApiProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly Task _stderr;

    private ApiProcess(Process process)
    {
        _process = process;
        _stderr = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                _output.Enqueue(line);
            }
        });
    }

    public IEnumerable<string> Output => _output;

    public int Id => _process.Id;

    /// <summary>Runs <c>Ledger.Api.dll</c> from the test's output folder on a free loopback port with these settings.</summary>
    public static ProcessStartInfo StartInfo(IReadOnlyDictionary<string, string> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet",
            [Path.Combine(AppContext.BaseDirectory, "Ledger.Api.dll"), "--urls", "http://127.0.0.1:0"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return start;
    }

    /// <summary>Starts the API and waits until it listens; returns it with its address.</summary>
    public static async Task<(ApiProcess Api, Uri Address)> StartAsync(IReadOnlyDictionary<string, string> environment)
    {
        var api = new ApiProcess(Process.Start(StartInfo(environment))!);
        try
        {
            return (api, await api.ListeningAddressAsync());
        }
        catch
        {
            await api.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        await _stderr;
        _process.Dispose();
    }

    private async Task<Uri> ListeningAddressAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (await _process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            _output.Enqueue(line);
            var match = ListeningLine().Match(line);
            if (match.Success)
            {
                _ = Task.Run(async () =>
                {
                    while (await _process.StandardOutput.ReadLineAsync() is { } more)
                    {
                        _output.Enqueue(more);
                    }
                });
                return new Uri(match.Groups[1].Value);
            }
        }

        throw new InvalidOperationException($"The API exited before listening: {string.Join(Environment.NewLine, _output)}");
    }

    [GeneratedRegex(@"Ledger API listening on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();
}
