using System.CommandLine;
using Ledger.Cli.Database;
using Ledger.Cli.Output;
using Ledger.EventStore.Projections;
using Npgsql;
using Spectre.Console;

namespace Ledger.Cli.Projections;

/// <summary>
/// <c>ledger projections list | rebuild | verify</c>: the analysts' tools for the read models. Rebuilds and verifications
/// run in this process against the live database, with the same <see cref="ProjectionRebuilder"/> the API uses, so they
/// may run while the API serves; one run per projection at a time across both.
/// </summary>
internal static class ProjectionCommands
{
    public static Command Create()
    {
        var database = new DatabaseOptions();
        var projections = new Command("projections", $"List, rebuild and verify the read models ({LedgerDatabase.Catalog.Names}).")
        {
            CreateList(database),
            CreateRun(database, RebuildKind.Rebuild),
            CreateRun(database, RebuildKind.Verify),
        };
        database.AddTo(projections);
        return projections;
    }

    /// <summary>Who the journal records as starting a run from this tool: the operating-system user.</summary>
    internal static string StartedBy => $"cli:{Environment.UserName}";

    private static Option<bool> JsonOption() => new("--json") { Description = "Machine-readable output on stdout (JSON, camelCase)." };

    private static Command CreateList(DatabaseOptions database)
    {
        var json = JsonOption();
        var list = new Command("list", "Show each projection's lifecycle, last processed sequence, high-water mark, lag and status.")
        {
            json,
        };
        list.Validators.Add(database.Validate);
        list.SetAction((parseResult, cancellation) =>
        {
            var output = CliOutput.For(parseResult, parseResult.GetValue(json));
            return DatabaseRun.RunAsync(parseResult, database, output, ledger => ListAsync(ledger, output, cancellation), cancellation);
        });
        return list;
    }

    private static async Task<int> ListAsync(LedgerDatabase ledger, CliOutput output, CancellationToken cancellation)
    {
        var statuses = await LedgerDatabase.Catalog.StatusAsync(ledger.DataSource, cancellation);
        if (output.IsJson)
        {
            await output.WriteJsonAsync(statuses);
            return ExitCodes.Success;
        }

        var table = new Table().Border(output.IsTerminal ? TableBorder.Rounded : TableBorder.None)
            .AddColumn("name")
            .AddColumn("lifecycle")
            .AddColumn(new TableColumn("last processed").RightAligned())
            .AddColumn(new TableColumn("high-water mark").RightAligned())
            .AddColumn(new TableColumn("lag").RightAligned())
            .AddColumn("status");
        foreach (var status in statuses)
        {
            table.AddRow(Markup.Escape(status.Name), status.Lifecycle, CliOutput.Count(status.LastProcessedSequence),
                CliOutput.Count(status.HighWaterMark), CliOutput.Count(status.Lag), StatusMarkup(status.Status));
        }

        output.Console.Write(table);
        return ExitCodes.Success;
    }

    private static string StatusMarkup(string status) => status switch
    {
        "current" => "[green]current[/]",
        "rebuilding" => "[blue]rebuilding[/]",
        _ => $"[yellow]{Markup.Escape(status)}[/]",
    };

    private static Command CreateRun(DatabaseOptions database, RebuildKind kind)
    {
        var rebuild = kind == RebuildKind.Rebuild;
        var name = new Argument<string>("name")
        {
            Description = $"The projection: {LedgerDatabase.Catalog.Names}.",
            HelpName = "name",
            Arity = ArgumentArity.ZeroOrOne,
        };
        name.AcceptOnlyFromAmong(StringComparer.OrdinalIgnoreCase, [.. LedgerDatabase.Catalog.All.Select(projection => projection.Name)]);
        var all = new Option<bool>("--all")
        {
            Description = rebuild
                ? "Rebuild every projection, in catalog order, stopping at the first failure."
                : "Verify every projection, in catalog order.",
        };
        var json = JsonOption();
        var command = new Command(rebuild ? "rebuild" : "verify", rebuild
            ? "Replay the events into a new copy of the model and switch it in; the live model serves meanwhile and stays as it was on failure or Ctrl+C."
            : "Replay the events into a side copy and compare it with the live model row by row; exit code 1 if any row differs.")
        {
            name,
            all,
            json,
        };
        command.Validators.Add(result =>
        {
            var named = result.GetResult(name) is { Tokens.Count: > 0 };
            if (named == result.GetValue(all))
            {
                result.AddError(named
                    ? $"Give a projection name or --all, not both."
                    : $"Name a projection ({LedgerDatabase.Catalog.Names}) or use --all.");
            }
        });
        command.Validators.Add(database.Validate);
        command.SetAction((parseResult, cancellation) =>
        {
            var output = CliOutput.For(parseResult, parseResult.GetValue(json));
            IReadOnlyList<ReplayProjection> projections = parseResult.GetValue(all)
                ? LedgerDatabase.Catalog.All
                : [LedgerDatabase.Catalog.Find(parseResult.GetRequiredValue(name))!];
            return DatabaseRun.RunAsync(parseResult, database, output,
                ledger => RunAllAsync(ledger, output, projections, kind, cancellation), cancellation);
        });
        return command;
    }

    /// <summary>
    /// Runs each projection in turn. A failure (refused, busy, cancelled) stops the sequence; a verification that finds
    /// differences does not, so one run reports on every model, and exits with 1 at the end.
    /// </summary>
    private static async Task<int> RunAllAsync(LedgerDatabase ledger, CliOutput output, IReadOnlyList<ReplayProjection> projections,
        RebuildKind kind, CancellationToken cancellation)
    {
        var rebuilder = new ProjectionRebuilder(ledger.DataSource, ledger.Serializer, TimeProvider.System);
        var runs = new List<RunView>();
        var exitCode = ExitCodes.Success;
        foreach (var projection in projections)
        {
            var (run, code) = await RunOneAsync(rebuilder, projection, kind, output, cancellation);
            runs.Add(run);
            if (code == ExitCodes.Success)
            {
                continue;
            }

            exitCode = code;
            if (run.Outcome != RunOutcome.Differs)
            {
                break;
            }
        }

        if (output.IsJson)
        {
            await output.WriteJsonAsync(runs);
        }

        return exitCode;
    }

    private static async Task<(RunView, int)> RunOneAsync(ProjectionRebuilder rebuilder, ReplayProjection projection, RebuildKind kind,
        CliOutput output, CancellationToken cancellation)
    {
        try
        {
            var outcome = await LiveProgress.RunAsync(output, projection.Name, show => rebuilder.RunAsync(Guid.CreateVersion7(), projection,
                kind, StartedBy, new InlineProgress<RebuildProgress>(p => show(new ProgressLine(PhaseName(p.Phase), p.EventsDone, p.EventsTotal, p.Elapsed))),
                cancellation));
            if (!output.IsJson)
            {
                Print(output, outcome);
            }

            return (RunView.Of(outcome), outcome.Identical ? ExitCodes.Success : ExitCodes.Failure);
        }
        catch (ProjectionBusyException busy)
        {
            await output.ErrorAsync($"error: {busy.Message}");
            return (RunView.Failed(projection, kind, RunOutcome.Busy, busy.Message), ExitCodes.Busy);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            const string cancelled = "cancelled; the previous model is unchanged";
            await output.ErrorAsync($"{projection.Name}: {cancelled}");
            return (RunView.Failed(projection, kind, RunOutcome.Cancelled, cancelled), ExitCodes.Cancelled);
        }
        catch (Exception failure) when (failure is ProjectionConflictException or NpgsqlException or InvalidOperationException or TimeoutException)
        {
            await output.ErrorAsync($"error: {projection.Name}: {failure.Message}");
            return (RunView.Failed(projection, kind, RunOutcome.Failed, failure.Message), ExitCodes.Failure);
        }
    }

    private static string PhaseName(RebuildPhase phase) => phase switch
    {
        RebuildPhase.Replaying => "replaying",
        RebuildPhase.Indexing => "indexing",
        RebuildPhase.CatchingUp => "catching up",
        RebuildPhase.Switching => "switching",
        RebuildPhase.Comparing => "comparing",
        _ => phase.ToString(),
    };

    private static void Print(CliOutput output, RebuildOutcome outcome)
    {
        var figures = $"{CliOutput.Count(outcome.Events)} events in {CliOutput.Seconds(outcome.Elapsed)}, " +
                      $"{CliOutput.Rate(outcome.EventsPerSecond)}, sequence {CliOutput.Count(outcome.Sequence)}";
        var name = Markup.Escape(outcome.Projection);
        if (outcome.Kind == RebuildKind.Rebuild)
        {
            output.Console.MarkupLine($"{name}: [green]rebuilt[/] ({figures})");
            return;
        }

        if (outcome.Identical)
        {
            output.Console.MarkupLine($"{name}: [green]identical[/] ({figures})");
            return;
        }

        output.Console.MarkupLine($"{name}: [red]differs: {CliOutput.Count(outcome.Differences ?? 0)} rows[/] ({figures})");
        foreach (var id in outcome.DifferingIds)
        {
            output.Console.WriteLine($"  {id}");
        }

        if (outcome.Differences > outcome.DifferingIds.Count)
        {
            output.Console.WriteLine($"  ... and {CliOutput.Count(outcome.Differences.Value - outcome.DifferingIds.Count)} more");
        }
    }
}

internal enum RunOutcome
{
    Rebuilt,
    Identical,
    Differs,
    Busy,
    Failed,
    Cancelled,
}

/// <summary>One run as <c>--json</c> prints it.</summary>
internal sealed record RunView(
    string Projection,
    RebuildKind Kind,
    RunOutcome Outcome,
    long Events,
    double ElapsedSeconds,
    double EventsPerSecond,
    long Sequence,
    long? Differences,
    IReadOnlyList<string> DifferingIds,
    string? Error)
{
    public static RunView Of(RebuildOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var result = outcome.Kind == RebuildKind.Rebuild ? RunOutcome.Rebuilt : outcome.Identical ? RunOutcome.Identical : RunOutcome.Differs;
        return new RunView(outcome.Projection, outcome.Kind, result, outcome.Events, outcome.Elapsed.TotalSeconds, outcome.EventsPerSecond,
            outcome.Sequence, outcome.Differences, outcome.DifferingIds, null);
    }

    public static RunView Failed(ReplayProjection projection, RebuildKind kind, RunOutcome outcome, string error) =>
        new(projection.Name, kind, outcome, 0, 0, 0, 0, null, [], error);
}
