using System.CommandLine;
using System.Diagnostics;
using System.Net.Http.Headers;
using Ledger.Cli.Database;
using Ledger.Cli.Output;
using Ledger.Cli.Projections;
using Ledger.EventStore.Projections;
using Spectre.Console;

namespace Ledger.Cli.Checks;

/// <summary>Runs the bank workload, the optional database and Kafka checks, and prints the verdict.</summary>
internal static class BankCheck
{
    public const string ProjectionsCheck = "projections";

    public static async Task<int> RunAsync(ParseResult parseResult, DatabaseOptions database, CliOutput output, BankSettings settings,
        BankCheckOptions options, CancellationToken cancellation)
    {
        var elapsed = Stopwatch.StartNew();
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.Token);
        var api = new Uri(options.Url.AbsoluteUri.EndsWith('/') ? options.Url.AbsoluteUri : options.Url.AbsoluteUri + "/");
        BankRun run;
        try
        {
            run = await new BankWorkload(new BankHttp(http, api), settings).RunAsync(cancellation);
        }
        catch (BankCheckException failure)
        {
            await output.ErrorAsync($"error: the bank check could not run: {failure.Message}");
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            await output.ErrorAsync("cancelled; no verdict");
            return ExitCodes.Cancelled;
        }

        var observation = run.Observation;
        if (options.BootstrapServers is { } bootstrapServers)
        {
            var expected = observation.Histories.Values.SelectMany(entries => entries).Select(entry => entry.EventId).ToHashSet();
            var published = await Task.Run(() => BankKafka.ReadPublished(bootstrapServers, observation.Accounts.Select(account => account.AccountId).ToHashSet(),
                expected, options.KafkaWait, cancellation), cancellation);
            observation = observation with { PublishedEventIds = published };
        }

        var violations = BankChecker.Check(observation).ToList();
        if (options.VerifyProjections)
        {
            violations.AddRange(await VerifyProjectionsAsync(parseResult, database, output, cancellation));
        }

        var verdict = BankVerdict.Of(run, settings, violations, options, elapsed.Elapsed);
        await BankVerdict.PrintAsync(output, verdict);
        return verdict.Valid ? ExitCodes.Success : ExitCodes.Failure;
    }

    /// <summary>What <c>ledger projections verify --all</c> does: each projection replayed beside the live one and compared.</summary>
    private static async Task<List<Violation>> VerifyProjectionsAsync(ParseResult parseResult, DatabaseOptions database, CliOutput output,
        CancellationToken cancellation)
    {
        var violations = new List<Violation>();
        // JSON output stays one document: the database run's own messages go to stderr only.
        var exitCode = await DatabaseRun.RunAsync(parseResult, database, output, async ledger =>
        {
            var rebuilder = new ProjectionRebuilder(ledger.DataSource, ledger.Serializer, TimeProvider.System);
            foreach (var projection in LedgerDatabase.Catalog.All)
            {
                try
                {
                    var outcome = await rebuilder.RunAsync(Guid.CreateVersion7(), projection, RebuildKind.Verify, ProjectionCommands.StartedBy, null, cancellation);
                    if (!outcome.Identical)
                    {
                        violations.Add(new Violation(ProjectionsCheck, $"{projection.Name} differs from a replay in {outcome.Differences ?? 0} rows " +
                                                                       $"({string.Join(", ", outcome.DifferingIds.Take(5))})"));
                    }
                }
                catch (Exception failure) when (failure is ProjectionBusyException or ProjectionConflictException or InvalidOperationException
                                                    or TimeoutException or Npgsql.NpgsqlException)
                {
                    violations.Add(new Violation(ProjectionsCheck, $"{projection.Name} could not be verified: {failure.Message}"));
                }
            }

            return ExitCodes.Success;
        }, cancellation);
        if (exitCode != ExitCodes.Success)
        {
            violations.Add(new Violation(ProjectionsCheck, "the projections could not be verified: the database could not be used (see stderr)"));
        }

        return violations;
    }
}
