using Spectre.Console;
using Spectre.Console.Rendering;

namespace Ledger.Cli.Output;

/// <summary>Where a long run stands, whatever runs it: a phase, events done of a total, and the time taken so far.</summary>
internal readonly record struct ProgressLine(string Phase, long Done, long Total, TimeSpan Elapsed)
{
    /// <summary>Before this much is done the rate is mostly start-up cost, and an estimate made from it would mislead.</summary>
    private const int EstimateAfterPercent = 1;

    public double PerSecond => Elapsed.TotalSeconds > 0 ? Done / Elapsed.TotalSeconds : 0;

    public TimeSpan? Remaining => Done > 0 && Total >= Done && Done * 100 >= Total * EstimateAfterPercent && PerSecond > 0
        ? TimeSpan.FromSeconds((Total - Done) / PerSecond)
        : null;

    /// <summary>"replaying 120,000/1,075,788 events, 45,000 events/s, ETA 0:21".</summary>
    public string Figures => Total == 0
        ? Phase
        : $"{Phase} {CliOutput.Count(Done)}/{CliOutput.Count(Total)} events, {CliOutput.Rate(PerSecond)}, ETA {CliOutput.Eta(Remaining)}";
}

/// <summary>
/// Shows a long run's progress in the form the output allows: a live bar on a terminal, a plain line every few seconds
/// when redirected (a log stays readable and carries no escape codes), nothing with <c>--json</c>.
/// </summary>
internal static class LiveProgress
{
    private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(5);

    public static async Task<T> RunAsync<T>(CliOutput output, string label, Func<Action<ProgressLine>, Task<T>> run)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(run);
        if (output.IsJson)
        {
            return await run(_ => { });
        }

        if (!output.IsTerminal)
        {
            var throttle = new Throttle(PlainInterval);
            return await run(line =>
            {
                if (throttle.Due())
                {
                    output.Console.WriteLine($"{label}: {line.Figures}");
                }
            });
        }

        var figures = new FiguresColumn();
        T result = default!;
        await output.Console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 20 }, figures,
                new SpinnerColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(label), maxValue: 1);
                result = await run(line =>
                {
                    task.MaxValue = Math.Max(1, line.Total);
                    task.Value = line.Done;
                    figures.Text = line.Figures;
                });
                task.Value = task.MaxValue;
            });
        return result;
    }

    /// <summary>The phase, counts, rate and estimate beside the bar; set by the run, read by the renderer's thread.</summary>
    private sealed class FiguresColumn : ProgressColumn
    {
        private volatile string _text = "";

        public string Text
        {
            get => _text;
            set => _text = value;
        }

        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) => new Text(_text);
    }
}

/// <summary>
/// Reports on the caller's own thread, unlike <see cref="Progress{T}"/>, which posts to the thread pool: the last report is
/// then always handled before the run returns, and reports never interleave.
/// </summary>
internal sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}

/// <summary>For redirected output: true once per interval, the first time one interval after the start.</summary>
internal sealed class Throttle(TimeSpan interval)
{
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private TimeSpan _last = TimeSpan.Zero;

    public bool Due()
    {
        var now = _clock.Elapsed;
        if (now - _last < interval)
        {
            return false;
        }

        _last = now;
        return true;
    }
}
