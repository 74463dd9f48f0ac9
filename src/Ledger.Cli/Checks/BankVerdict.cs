using Ledger.Cli.Output;
using Spectre.Console;

namespace Ledger.Cli.Checks;

internal sealed record KindCounts(string Kind, int Acknowledged, int Rejected, int Indeterminate);

internal sealed record CheckRan(string Name, bool Ran, string What);

/// <summary>The verdict as <c>--json</c> prints it; the human output says the same.</summary>
internal sealed record BankVerdict(
    bool Valid,
    string RunId,
    string Currency,
    int Accounts,
    int Clients,
    int Readers,
    int Seed,
    double DurationSeconds,
    double ElapsedSeconds,
    IReadOnlyList<KindCounts> Operations,
    long Retries,
    long TrialBalanceReads,
    long AsOfReads,
    long FailedReads,
    IReadOnlyDictionary<string, int> FailedReadAnswers,
    long HistoryEntries,
    IReadOnlyList<CheckRan> Checks,
    int ViolationCount,
    IReadOnlyList<Violation> Violations)
{
    public static BankVerdict Of(BankRun run, BankSettings settings, IReadOnlyList<Violation> violations, BankCheckOptions options, TimeSpan elapsed)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(violations);
        ArgumentNullException.ThrowIfNull(options);
        var workload = run.Observation.Operations.Where(operation => !operation.Setup).ToList();
        var kinds = Enum.GetValues<OperationKind>().Select(kind =>
        {
            var ofKind = workload.Where(operation => operation.Kind == kind).ToList();
            return new KindCounts(kind.ToString().ToLowerInvariant(), ofKind.Count(operation => operation.Outcome == OperationOutcome.Acknowledged),
                ofKind.Count(operation => operation.Outcome == OperationOutcome.Rejected),
                ofKind.Count(operation => operation.Outcome == OperationOutcome.Indeterminate));
        }).ToList();
        CheckRan[] checks =
        [
            new(BankChecker.TotalCheck, true, "every total read (trial balances, final balances) within what the acknowledged and indeterminate commands allow"),
            new(BankChecker.BalancedCheck, true, "the trial balance calls the currency balanced"),
            new(BankChecker.OverdraftCheck, true, "no balance (as-of, final, any history entry) below minus the overdraft limit"),
            new(BankChecker.AvailabilityCheck, true, "nothing available (as-of, final) below zero: holds and debits never took more than there was"),
            new(BankChecker.HistoryCheck, true, "acknowledged commands in the history exactly once, rejected never, indeterminate at most once; nothing else; balances add up"),
            new(BankChecker.IntegrityCheck, true, "/ledger/integrity and every account's /integrity valid"),
            new(BankChecker.AnswerCheck, true, "no refusal other than insufficient funds"),
            new(BankCheck.ProjectionsCheck, options.VerifyProjections, "every projection identical to a replay (needs --connection)"),
            new(BankChecker.KafkaCheck, options.BootstrapServers is not null, "every event of the run's accounts on ledger.account-events (needs --bootstrap-servers)"),
        ];
        return new BankVerdict(violations.Count == 0, run.RunId, settings.Currency.Code, settings.Accounts, settings.Clients, settings.Readers,
            settings.Seed, settings.Duration.TotalSeconds, elapsed.TotalSeconds, kinds, workload.Sum(operation => (long)operation.Retries),
            run.TrialBalanceReads, run.AsOfReads, run.FailedReads, run.FailedReadAnswers, run.Observation.Histories.Values.Sum(entries => (long)entries.Count), checks,
            violations.Count, [.. violations.Take(BankChecker.ListedMax)]);
    }

    public static async Task PrintAsync(CliOutput output, BankVerdict verdict)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(verdict);
        if (output.IsJson)
        {
            await output.WriteJsonAsync(verdict);
            return;
        }

        var console = output.Console;
        console.MarkupLine(verdict.Valid
            ? $"[green]valid[/]: bank check {verdict.RunId}, {verdict.Accounts} {verdict.Currency} accounts, {verdict.Clients} clients for {verdict.DurationSeconds:0.#} s"
            : $"[red]INVALID: {verdict.ViolationCount} violation(s)[/]: bank check {verdict.RunId}, {verdict.Accounts} {verdict.Currency} accounts, " +
              $"{verdict.Clients} clients for {verdict.DurationSeconds:0.#} s");
        foreach (var kind in verdict.Operations)
        {
            console.WriteLine($"{kind.Kind}s: {CliOutput.Count(kind.Acknowledged)} acknowledged, {CliOutput.Count(kind.Rejected)} rejected, " +
                              $"{CliOutput.Count(kind.Indeterminate)} indeterminate");
        }

        console.WriteLine($"retries {CliOutput.Count(verdict.Retries)}; snapshots: {CliOutput.Count(verdict.TrialBalanceReads)} trial balances, " +
                          $"{CliOutput.Count(verdict.AsOfReads)} as-of reads, {CliOutput.Count(verdict.FailedReads)} reads failed" +
                          (verdict.FailedReads > 0 ? $" ({string.Join(", ", verdict.FailedReadAnswers.Select(answer => $"{answer.Key}: {answer.Value}"))})" : "") + "; " +
                          $"{CliOutput.Count(verdict.HistoryEntries)} history entries; elapsed {verdict.ElapsedSeconds:0.0} s");
        foreach (var check in verdict.Checks)
        {
            console.WriteLine($"{(check.Ran ? "checked" : "skipped")} {check.Name}: {check.What}");
        }

        foreach (var violation in verdict.Violations)
        {
            console.MarkupLine($"[red]violation[/] {Markup.Escape(violation.Check)}: {Markup.Escape(violation.Detail)}");
        }

        if (verdict.ViolationCount > verdict.Violations.Count)
        {
            console.WriteLine($"... and {CliOutput.Count(verdict.ViolationCount - verdict.Violations.Count)} more");
        }
    }
}
