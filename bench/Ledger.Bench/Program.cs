using System.CommandLine;
using Ledger.Bench.Compare;

// Usage: dotnet run -c Release --project bench/Ledger.Bench -- [longEvents] [reads]      as-of read cost
//        dotnet run -c Release --project bench/Ledger.Bench -- relay [events]             relay publish throughput
//        dotnet run -c Release --project bench/Ledger.Bench -- rebuild [accounts] [transfers]  seed, then rebuild by replay
//        dotnet run -c Release --project bench/Ledger.Bench -- compare --duration 30s [--clients 1,8,32] [--out results.json]
//                                                                              the API over HTTP against pgbench
//        dotnet run -c Release --project bench/Ledger.Bench -- audit [accounts] [appended] [transfers...]  trial balance, integrity
// The as-of benchmark's arguments are hidden, so that the subcommands' usage lines do not show them.
var longEvents = Count("longEvents", "Events of the long account.", 100_000);
var reads = Count("reads", "As-of reads timed on each account, per pass.", 2_000);
longEvents.Hidden = reads.Hidden = true;
var root = new RootCommand("Ledger benchmarks, each on a throwaway embedded PostgreSQL (docs/benchmarks.md). Without a command, " +
                           "`[longEvents] [reads]`: the as-of read cost on a 100-event and a longEvents-event account (100000, 2000).")
{
    longEvents, reads,
};
root.SetAction(parse => AsOfBenchmark.RunAsync(parse.GetValue(longEvents), parse.GetValue(reads)));

var events = Count("events", "Events to publish, per pass.", 200_000);
var relay = new Command("relay", "The relay's publishing throughput to the embedded Kafka.") { events };
relay.SetAction(parse => RelayBenchmark.RunAsync(parse.GetValue(events)));
root.Subcommands.Add(relay);

var accounts = Count("accounts", "Accounts of the seeded history.", 10_000);
var transfers = Count("transfers", "Transfer attempts of the seeded history.", 490_000);
var rebuild = new Command("rebuild", "Seed a history by COPY, then rebuild every projection by replay.") { accounts, transfers };
rebuild.SetAction(parse => RebuildBenchmark.RunAsync(parse.GetValue(accounts), parse.GetValue(transfers)));
root.Subcommands.Add(rebuild);

var auditArguments = new Argument<string[]>("arguments")
{
    Description = "[accounts] [appended] [transfers...]: see AuditBenchmark.", Arity = ArgumentArity.ZeroOrMore,
};
var audit = new Command("audit", "The trial balance and full and incremental integrity, on a small and a large seeded history.") { auditArguments };
audit.SetAction(parse => AuditBenchmark.RunAsync(parse.GetValue(auditArguments) ?? []));
root.Subcommands.Add(audit);

root.Subcommands.Add(CompareCommand.Create(args));
return await root.Parse(args).InvokeAsync();

static Argument<int> Count(string name, string description, int byDefault)
{
    var argument = new Argument<int>(name) { Description = description, DefaultValueFactory = _ => byDefault };
    argument.Validators.Add(result =>
    {
        if (result.GetValueOrDefault<int>() < 1)
        {
            result.AddError($"{name} must be at least 1.");
        }
    });
    return argument;
}
