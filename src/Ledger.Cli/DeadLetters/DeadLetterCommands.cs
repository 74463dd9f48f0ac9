using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Confluent.Kafka;
using Ledger.Cli.Database;
using Ledger.Cli.Kafka;
using Ledger.Cli.Output;
using Ledger.Messaging.DeadLetters;
using Spectre.Console;

namespace Ledger.Cli.DeadLetters;

/// <summary>
/// <c>ledger dlq list | replay</c>: the messages the consumers set aside on the dead-letter topic, and the way to put them
/// back on their original topic once what made them fail is fixed. Listing reads the topic outside any consumer group
/// and changes nothing; a replay publishes each chosen dead letter's original message again and records it in
/// <c>ledger.dead_letter_replays</c>. Consumers deduplicate by <c>ce_id</c>, so a replay has at most one effect per consumer.
/// </summary>
internal static class DeadLetterCommands
{
    private const int TimeoutSecondsDefault = 60;
    private const int TimeoutSecondsMax = 3600;
    private const int LimitDefault = 1_000;
    private const int LimitMax = 100_000;

    public static Command Create()
    {
        var database = new DatabaseOptions();
        var dlq = new Command("dlq",
            $"The consumers' dead letters on {DeadLetterTopic.Name}: list them, and replay them to their original topic once their cause is fixed.")
        {
            CreateList(database),
            CreateReplay(database),
        };
        database.AddTo(dlq);
        return dlq;
    }

    private static Command CreateList(DatabaseOptions database)
    {
        var kafka = new KafkaRead();
        var group = GroupOption("Only the dead letters of this consumer group (e.g. ledger-audit).");
        var pending = new Option<bool>("--pending") { Description = "Only the dead letters never replayed." };
        var limit = new Option<int>("--limit")
        {
            Description = $"Show at most this many, the oldest (1 to {LimitMax}); the count of all that match is printed too.",
            DefaultValueFactory = _ => LimitDefault,
        };
        limit.Validators.Add(result => RequireWithin(result, 1, LimitMax));
        var list = new Command("list",
            "Read the dead-letter topic from its start to its current end (outside any consumer group: nothing is committed) and show each " +
            "dead letter: its id (partition:offset), when it was dead-lettered, the consumer group, the reason, where it came from, its ce_id " +
            "and ce_type, and its replays. With --json also every header and the payload (JSON, else base64).")
        {
            group, pending, limit,
        };
        kafka.AddTo(list);
        list.Validators.Add(database.Validate);
        list.SetAction(async (parseResult, cancellation) =>
        {
            var output = CliOutput.For(parseResult, parseResult.GetValue(kafka.Json));
            if (kafka.Servers.Resolve(parseResult, database) is not { } servers)
            {
                await output.ErrorAsync(KafkaServersOption.Missing);
                return ExitCodes.Usage;
            }

            var query = new ListQuery(parseResult.GetValue(group), parseResult.GetValue(pending), parseResult.GetValue(limit));
            var topic = new DeadLetterTopic(servers, kafka.Timeout(parseResult));
            return await DatabaseRun.RunAsync(parseResult, database, output,
                ledger => KafkaRunAsync(servers, output, () => ListAsync(ledger, topic, query, output, cancellation)), cancellation);
        });
        return list;
    }

    private static async Task<int> ListAsync(LedgerDatabase ledger, DeadLetterTopic topic, ListQuery query, CliOutput output, CancellationToken cancellation)
    {
        var replays = (await new DeadLetterReplayStore(ledger.DataSource).ListAsync(cancellation)).ToLookup(replay => replay.DeadLetter);
        // The oldest --limit that match, kept in a heap whose top is the newest of them, so memory stays bounded.
        var oldest = new PriorityQueue<DeadLetter, (DateTimeOffset, int, long)>(Comparer<(DateTimeOffset, int, long)>.Create((a, b) => b.CompareTo(a)));
        long matched = 0;
        foreach (var letter in topic.ReadAll(cancellation))
        {
            if ((query.Group is null || letter.ConsumerGroup == query.Group) && !(query.Pending && replays.Contains(letter.Id)))
            {
                matched++;
                oldest.Enqueue(letter, Age(letter));
                if (oldest.Count > query.Limit)
                {
                    oldest.Dequeue();
                }
            }
        }

        var shown = oldest.UnorderedItems.Select(item => item.Element).OrderBy(Age)
            .Select(letter => DeadLetterView.From(letter, replays[letter.Id])).ToList();
        if (output.IsJson)
        {
            await output.WriteJsonAsync(new DeadLetterListView(DeadLetterTopic.Name, matched, shown));
            return ExitCodes.Success;
        }

        if (shown.Count > 0)
        {
            output.Console.Write(ListTable(shown, output));
        }

        await output.WriteLineAsync($"{CliOutput.Count(matched)} dead letters on {DeadLetterTopic.Name}" +
                                    (query.Group is null ? "" : $" of group {query.Group}") + (query.Pending ? " never replayed" : "") +
                                    (matched > shown.Count ? $"; the oldest {CliOutput.Count(shown.Count)} shown (raise --limit for more)" : ""));
        return ExitCodes.Success;
    }

    private static (DateTimeOffset, int, long) Age(DeadLetter letter) => (letter.DeadLetteredAt ?? DateTimeOffset.MinValue, letter.Id.Partition, letter.Id.Offset);

    private static Table ListTable(IReadOnlyList<DeadLetterView> letters, CliOutput output)
    {
        var table = new Table().Border(output.IsTerminal ? TableBorder.Rounded : TableBorder.None)
            .AddColumn("id").AddColumn("dead-lettered (UTC)").AddColumn("group").AddColumn("reason").AddColumn("original")
            .AddColumn("ce_id").AddColumn("ce_type").AddColumn("replayed");
        foreach (var letter in letters)
        {
            table.AddRow(Cell(letter.Id), Cell(Time(letter.DeadLetteredAt)), Cell(letter.ConsumerGroup), Cell(letter.Reason),
                Cell(letter.OriginalTopic is null ? null : string.Create(CultureInfo.InvariantCulture,
                    $"{letter.OriginalTopic} [{letter.OriginalPartition}] @{letter.OriginalOffset}")),
                Cell(letter.EventId), Cell(letter.EventType), Cell(Replayed(letter.Replays)));
        }

        return table;
    }

    private static string Replayed(IReadOnlyList<ReplayView> replays) => replays.Count switch
    {
        0 => "no",
        1 => $"{Time(replays[0].ReplayedAt)} by {replays[0].ReplayedBy ?? "unknown"}",
        _ => $"{replays.Count} times, last {Time(replays[^1].ReplayedAt)} by {replays[^1].ReplayedBy ?? "unknown"}",
    };

    private static Text Cell(string? text) => new(text ?? "-");

    private static string Time(DateTimeOffset? time) =>
        time?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "-";

    private static Command CreateReplay(DatabaseOptions database)
    {
        var kafka = new KafkaRead();
        var ids = new Option<string[]>("--id")
        {
            Description = "A dead letter to replay, as partition:offset from `ledger dlq list` (repeat for more).",
            HelpName = "partition:offset",
        };
        var all = new Option<bool>("--all") { Description = "Replay every dead letter not replayed before (with --again, every one)." };
        var group = GroupOption("With --all: only the dead letters of this consumer group.");
        var again = new Option<bool>("--again") { Description = "Replay dead letters even if they were replayed before." };
        var replayedBy = new Option<string>("--operator")
        {
            Description = "Who replays, as recorded with each replay (default: cli:<the operating-system user>).",
            HelpName = "name",
        };
        ids.Validators.Add(result =>
        {
            foreach (var text in result.GetValueOrDefault<string[]>() ?? [])
            {
                if (!DeadLetterId.TryParse(text, out _))
                {
                    result.AddError($"--id takes partition:offset (e.g. 0:42), not '{text}'.");
                }
            }
        });
        var replay = new Command("replay",
            "Publish dead letters again to their original topic and partition: the original key, value and headers without the ledger-dlq-* " +
            "headers, plus ledger-dlq-replayed-from. Waits for Kafka's acknowledgements and records each replay (ledger.dead_letter_replays). " +
            "Consumers deduplicate by ce_id, so a message they processed before has no second effect. Give --id (one or more) or --all. " +
            "Exit codes: 0 replayed; 1 an id is not on the topic, cannot be replayed or was replayed already (then nothing is published), " +
            "or Kafka failed; 2 bad arguments; 3 another replay is running.")
        {
            ids, all, group, again, replayedBy,
        };
        kafka.AddTo(replay);
        replay.Validators.Add(database.Validate);
        replay.Validators.Add(result =>
        {
            var byId = result.GetValue(ids) is { Length: > 0 };
            if (byId == result.GetValue(all))
            {
                result.AddError("Give either --id <partition:offset> (one or more) or --all, exactly one of them.");
            }

            if (byId && result.GetResult(group) is { Implicit: false })
            {
                result.AddError("--group chooses dead letters for --all only; with --id, name the dead letters themselves.");
            }
        });
        replay.SetAction(async (parseResult, cancellation) =>
        {
            var output = CliOutput.For(parseResult, parseResult.GetValue(kafka.Json));
            if (kafka.Servers.Resolve(parseResult, database) is not { } servers)
            {
                await output.ErrorAsync(KafkaServersOption.Missing);
                return ExitCodes.Usage;
            }

            var chosen = (parseResult.GetValue(ids) ?? []).Select(text => DeadLetterId.TryParse(text, out var id) ? id : default).Distinct().ToList();
            var request = new ReplayRequest(chosen.Count > 0 ? chosen : null, parseResult.GetValue(group), parseResult.GetValue(again),
                parseResult.GetValue(replayedBy) ?? $"cli:{Environment.UserName}", servers, kafka.Timeout(parseResult));
            return await DatabaseRun.RunAsync(parseResult, database, output,
                ledger => KafkaRunAsync(servers, output, () => DeadLetterReplayRun.RunAsync(ledger, request, output, cancellation)), cancellation);
        });
        return replay;
    }

    /// <summary>Turns Kafka being unreachable or too slow into a message and exit code 1.</summary>
    private static async Task<int> KafkaRunAsync(string servers, CliOutput output, Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (KafkaException failure)
        {
            await output.ErrorAsync($"error: Kafka at {servers}: {failure.Error.Reason}");
            return ExitCodes.Failure;
        }
        catch (TimeoutException timeout)
        {
            await output.ErrorAsync($"error: Kafka at {servers}: {timeout.Message} Raise --timeout, or check that Kafka is reachable.");
            return ExitCodes.Failure;
        }
    }

    private static Option<string> GroupOption(string description) => new("--group") { Description = description, HelpName = "consumer-group" };

    private static void RequireWithin(OptionResult result, int minimum, int maximum)
    {
        var value = result.GetValueOrDefault<int>();
        if (value < minimum || value > maximum)
        {
            result.AddError($"{result.Option.Name} must be between {minimum} and {maximum}, not {value}.");
        }
    }

    private sealed record ListQuery(string? Group, bool Pending, int Limit);

    /// <summary>The options both commands share: where Kafka is, how long it may take, and JSON output.</summary>
    private sealed class KafkaRead
    {
        public KafkaServersOption Servers { get; } = new();

        public Option<int> TimeoutSeconds { get; } = new("--timeout")
        {
            Description = $"Seconds Kafka may take to deliver the topic to its end, and for a replay to acknowledge it (1 to {TimeoutSecondsMax}).",
            DefaultValueFactory = _ => TimeoutSecondsDefault,
            HelpName = "seconds",
        };

        public Option<bool> Json { get; } = new("--json") { Description = "Machine-readable output on stdout (JSON, camelCase)." };

        public void AddTo(Command command)
        {
            TimeoutSeconds.Validators.Add(result => RequireWithin(result, 1, TimeoutSecondsMax));
            command.Add(Servers.Option);
            command.Add(TimeoutSeconds);
            command.Add(Json);
        }

        public TimeSpan Timeout(ParseResult parseResult) => TimeSpan.FromSeconds(parseResult.GetValue(TimeoutSeconds));
    }
}

/// <param name="Ids">The dead letters named with --id; null for --all.</param>
internal sealed record ReplayRequest(IReadOnlyList<DeadLetterId>? Ids, string? Group, bool Again, string ReplayedBy, string BootstrapServers, TimeSpan Timeout);
