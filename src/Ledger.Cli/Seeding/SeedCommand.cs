using System.CommandLine;
using Ledger.Cli.Database;
using Ledger.Cli.Output;
using Ledger.EventStore.Projections;
using Ledger.EventStore.Seeding;
using Npgsql;
using Spectre.Console;

namespace Ledger.Cli.Seeding;

/// <summary>
/// <c>ledger seed</c>: a realistic, reproducible history for demos and benchmarks, written by bulk append
/// (<see cref="HistorySeeder"/>); the same seed always gives the same accounts, events and ids.
/// </summary>
internal static class SeedCommand
{
    public static Command Create()
    {
        var accounts = new Option<int>("--accounts")
        {
            Description = $"Accounts to open and fund (1 to {HistoryOptions.AccountsMax:N0}).",
            Required = true,
        };
        accounts.Validators.Add(result => RequireWithin(result, 1, HistoryOptions.AccountsMax));
        var transfers = new Option<int>("--transfers")
        {
            Description = $"Transfer commands between accounts of one currency (0 to {HistoryOptions.TransfersMax:N0}); "
                          + "deposits, withdrawals, holds, freezes and a few closings are mixed in, and refused commands write nothing.",
            Required = true,
        };
        transfers.Validators.Add(result => RequireWithin(result, 0, HistoryOptions.TransfersMax));
        var seed = new Option<int>("--seed")
        {
            Description = "The random seed; the same seed gives the same history, ids included.",
            DefaultValueFactory = _ => 1,
        };
        var json = new Option<bool>("--json") { Description = "Machine-readable output on stdout (JSON, camelCase)." };
        var database = new DatabaseOptions();
        var command = new Command("seed",
            "Append a generated history (accounts opened and funded, then transfers, deposits, withdrawals, holds placed, captured "
            + "and released, freezes and closings, decided by the domain) in one transaction, with the inline models and the "
            + "hold documents, then rebuild the report projections.")
        {
            accounts,
            transfers,
            seed,
            json,
        };
        database.AddTo(command);
        command.Validators.Add(database.Validate);
        command.SetAction((parseResult, cancellation) =>
        {
            var output = CliOutput.For(parseResult, parseResult.GetValue(json));
            var options = new HistoryOptions(parseResult.GetValue(accounts), parseResult.GetValue(transfers), parseResult.GetValue(seed));
            return DatabaseRun.RunAsync(parseResult, database, output, ledger => SeedAsync(ledger, options, output, cancellation), cancellation);
        });
        return command;
    }

    private static async Task<int> SeedAsync(LedgerDatabase ledger, HistoryOptions options, CliOutput output, CancellationToken cancellation)
    {
        var seeder = new HistorySeeder(ledger.DataSource, ledger.Serializer, TimeProvider.System, LedgerDatabase.Catalog);
        SeedSummary summary;
        try
        {
            summary = await LiveProgress.RunAsync(output, "seed", show => seeder.WriteAsync(options, new InlineProgress<SeedProgress>(
                p => show(new ProgressLine(p.Phase == SeedPhase.Planning ? "planning" : "writing", p.Done, p.Total, p.Elapsed))), cancellation));
        }
        catch (SeedConflictException conflict)
        {
            await output.ErrorAsync($"error: {conflict.Message}");
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            await output.ErrorAsync("cancelled; nothing was written");
            return ExitCodes.Cancelled;
        }

        IReadOnlyList<RebuildOutcome> reports;
        var catchUp = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            reports = await LiveProgress.RunAsync(output, "reports", show => seeder.CatchUpReportsAsync(new InlineProgress<RebuildProgress>(
                p => show(new ProgressLine("catching up", p.EventsDone, p.EventsTotal, p.Elapsed))), cancellation));
        }
        catch (Exception failure) when (failure is OperationCanceledException or ProjectionBusyException or ProjectionConflictException
                                            or NpgsqlException or InvalidOperationException)
        {
            // The history is committed; only the reports lag, and the API's runner or a rebuild catches them up.
            var reason = failure is OperationCanceledException ? "cancelled" : failure.Message;
            await output.ErrorAsync($"error: the seed is written, but the report projections were not caught up ({reason}). " +
                                    "Run `ledger projections rebuild daily-volumes` and `ledger projections rebuild account-activity`.");
            await PrintAsync(output, summary, [], catchUp.Elapsed);
            return failure is OperationCanceledException ? ExitCodes.Cancelled : ExitCodes.Failure;
        }

        await PrintAsync(output, summary, reports, catchUp.Elapsed);
        return ExitCodes.Success;
    }

    private static async Task PrintAsync(CliOutput output, SeedSummary summary, IReadOnlyList<RebuildOutcome> reports, TimeSpan catchUp)
    {
        var elapsed = summary.Elapsed + catchUp;
        if (output.IsJson)
        {
            await output.WriteJsonAsync(new SeedView(summary.Seed, summary.Accounts, summary.Events, summary.Transfers, summary.Deposits,
                summary.Withdrawals, summary.Freezes, summary.Unfreezes, summary.Closures, summary.HoldsPlaced, summary.HoldsCaptured,
                summary.HoldsReleased, summary.Rejected, summary.FirstSequence, summary.LastSequence, elapsed.TotalSeconds,
                summary.Events / Math.Max(elapsed.TotalSeconds, 1e-9), summary.Elapsed.TotalSeconds, summary.EventsPerSecond, catchUp.TotalSeconds,
                [.. reports.Select(report => new ReportView(report.Projection, report.Events, report.Elapsed.TotalSeconds, report.EventsPerSecond))]));
            return;
        }

        var console = output.Console;
        console.MarkupLine($"[green]seed {summary.Seed}[/]: {CliOutput.Count(summary.Accounts)} accounts, {CliOutput.Count(summary.Events)} events " +
                           $"({CliOutput.Count(summary.Transfers)} transfers, {CliOutput.Count(summary.Deposits)} deposits, " +
                           $"{CliOutput.Count(summary.Withdrawals)} withdrawals), {CliOutput.Count(summary.Rejected)} rejected commands");
        console.WriteLine($"holds: {CliOutput.Count(summary.HoldsPlaced)} placed, {CliOutput.Count(summary.HoldsCaptured)} captured, " +
                          $"{CliOutput.Count(summary.HoldsReleased)} released; accounts: {CliOutput.Count(summary.Freezes)} freezes, " +
                          $"{CliOutput.Count(summary.Unfreezes)} unfreezes, {CliOutput.Count(summary.Closures)} closed");
        console.WriteLine($"written in {CliOutput.Seconds(summary.Elapsed)} ({CliOutput.Rate(summary.EventsPerSecond)}), " +
                          $"sequences {CliOutput.Count(summary.FirstSequence)} to {CliOutput.Count(summary.LastSequence)}");
        foreach (var report in reports)
        {
            console.WriteLine($"{report.Projection}: caught up over {CliOutput.Count(report.Events)} events in {CliOutput.Seconds(report.Elapsed)} " +
                              $"({CliOutput.Rate(report.EventsPerSecond)})");
        }

        console.WriteLine($"elapsed {CliOutput.Seconds(elapsed)} ({CliOutput.Rate(summary.Events / Math.Max(elapsed.TotalSeconds, 1e-9))})");
    }

    private static void RequireWithin(System.CommandLine.Parsing.OptionResult result, int minimum, int maximum)
    {
        var value = result.GetValueOrDefault<int>();
        if (value < minimum || value > maximum)
        {
            result.AddError($"{result.Option.Name} must be between {minimum:N0} and {maximum:N0}, not {value:N0}.");
        }
    }
}

/// <summary>The seed's summary as <c>--json</c> prints it; times in seconds.</summary>
internal sealed record SeedView(
    int Seed,
    long Accounts,
    long Events,
    long Transfers,
    long Deposits,
    long Withdrawals,
    long Freezes,
    long Unfreezes,
    long Closures,
    long HoldsPlaced,
    long HoldsCaptured,
    long HoldsReleased,
    long Rejected,
    long FirstSequence,
    long LastSequence,
    double ElapsedSeconds,
    double EventsPerSecond,
    double WriteSeconds,
    double WriteEventsPerSecond,
    double CatchUpSeconds,
    IReadOnlyList<ReportView> Reports);

internal sealed record ReportView(string Projection, long Events, double ElapsedSeconds, double EventsPerSecond);
