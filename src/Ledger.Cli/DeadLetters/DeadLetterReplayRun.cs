using System.Globalization;
using Ledger.Cli.Database;
using Ledger.Cli.Output;
using Ledger.Messaging.DeadLetters;
using Npgsql;

namespace Ledger.Cli.DeadLetters;

/// <summary>
/// One <c>ledger dlq replay</c>: chooses the dead letters, refuses before publishing anything when an id named is not on
/// the topic, cannot be replayed, or was replayed already without <c>--again</c>; then replays and prints what it did.
/// One replay at a time per database (an advisory lock), so two operators' <c>--all</c> cannot both publish a dead letter.
/// </summary>
internal static class DeadLetterReplayRun
{
    // Any constant every `ledger` process shares, distinct from the ledger's other advisory locks.
    internal const long ReplayLockId = 6_102_455_918_305_775_417;

    public static async Task<int> RunAsync(LedgerDatabase ledger, ReplayRequest request, CliOutput output, CancellationToken cancellation)
    {
        await using var connection = await ledger.DataSource.OpenConnectionAsync(cancellation);
        if (!await LockAsync(connection, "pg_try_advisory_lock", cancellation))
        {
            await output.ErrorAsync("error: another `ledger dlq replay` is running against this database; run this one when it has finished.");
            return ExitCodes.Busy;
        }

        try
        {
            var store = new DeadLetterReplayStore(ledger.DataSource);
            var earlier = (await store.ListAsync(cancellation)).ToLookup(replay => replay.DeadLetter);
            var topic = new DeadLetterTopic(request.BootstrapServers, request.Timeout);
            var choice = request.Ids is { } ids ? ChooseById(topic, ids, earlier, request.Again, cancellation) : ChooseAll(topic, request, earlier, cancellation);
            if (choice.Refusals.Count > 0)
            {
                foreach (var refusal in choice.Refusals)
                {
                    await output.ErrorAsync($"error: {refusal}");
                }

                await output.ErrorAsync("Nothing was replayed.");
                return ExitCodes.Failure;
            }

            var result = await new DeadLetterReplayer(request.BootstrapServers, store, TimeProvider.System)
                .ReplayAsync(choice.Letters, request.ReplayedBy, request.Timeout, cancellation);
            await PrintAsync(result, choice.Skipped, output);
            return result.Failed.Count == 0 ? ExitCodes.Success : ExitCodes.Failure;
        }
        finally
        {
            await LockAsync(connection, "pg_advisory_unlock", CancellationToken.None);
        }
    }

    /// <summary>Exactly the dead letters named, in id order, or refusals for every one that cannot be replayed as asked.</summary>
    private static Choice ChooseById(DeadLetterTopic topic, IReadOnlyList<DeadLetterId> ids, ILookup<DeadLetterId, DeadLetterReplay> earlier, bool again,
        CancellationToken cancellation)
    {
        var found = topic.Find(ids, cancellation).ToDictionary(letter => letter.Id);
        var refusals = new List<string>();
        foreach (var id in ids)
        {
            if (!found.TryGetValue(id, out var letter))
            {
                refusals.Add($"no dead letter {id} on {DeadLetterTopic.Name} (`ledger dlq list` shows the ids there).");
            }
            else if (letter.NotReplayableBecause is { } reason)
            {
                refusals.Add($"dead letter {id} cannot be replayed: {reason}.");
            }
            else if (!again && earlier[id].LastOrDefault() is { } replay)
            {
                refusals.Add($"dead letter {id} was replayed already ({Replayed(replay)}); give --again to replay it once more.");
            }
        }

        return new Choice([.. ids.Select(id => found.GetValueOrDefault(id)).OfType<DeadLetter>().OrderBy(letter => letter.Id.Partition)
            .ThenBy(letter => letter.Id.Offset)], [], refusals);
    }

    /// <summary>Every dead letter (of the group, if one was given), less those not replayable and, without --again, those replayed before.</summary>
    private static Choice ChooseAll(DeadLetterTopic topic, ReplayRequest request, ILookup<DeadLetterId, DeadLetterReplay> earlier, CancellationToken cancellation)
    {
        var letters = new List<DeadLetter>();
        var skipped = new List<SkippedView>();
        foreach (var letter in topic.ReadAll(cancellation).Where(letter => request.Group is null || letter.ConsumerGroup == request.Group))
        {
            if (letter.NotReplayableBecause is { } reason)
            {
                skipped.Add(new SkippedView(letter.Id.ToString(), $"cannot be replayed: {reason}"));
            }
            else if (!request.Again && earlier[letter.Id].LastOrDefault() is { } replay)
            {
                skipped.Add(new SkippedView(letter.Id.ToString(), $"replayed already ({Replayed(replay)})"));
            }
            else
            {
                letters.Add(letter);
            }
        }

        return new Choice([.. letters.OrderBy(letter => letter.Id.Partition).ThenBy(letter => letter.Id.Offset)], skipped, []);
    }

    private static string Replayed(DeadLetterReplay replay) => string.Create(CultureInfo.InvariantCulture,
        $"{replay.ReplayedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC by {replay.ReplayedBy ?? "unknown"}");

    private static async Task PrintAsync(DeadLetterReplayResult result, IReadOnlyList<SkippedView> skipped, CliOutput output)
    {
        var view = new ReplayResultView([.. result.Replayed.Select(ReplayView.From)], skipped,
            [.. result.Failed.Select(failure => new SkippedView(failure.DeadLetter.ToString(), failure.Reason))]);
        if (output.IsJson)
        {
            await output.WriteJsonAsync(view);
        }
        else
        {
            foreach (var replayed in view.Replayed)
            {
                await output.WriteLineAsync($"replayed {replayed.Describe()}");
            }

            foreach (var left in view.Skipped)
            {
                await output.WriteLineAsync($"skipped {left.Id}: {left.Reason}");
            }

            await output.WriteLineAsync($"replayed {CliOutput.Count(view.Replayed.Count)} dead letters, skipped {CliOutput.Count(view.Skipped.Count)}, " +
                                        $"failed {CliOutput.Count(view.Failed.Count)}");
        }

        foreach (var failure in view.Failed)
        {
            await output.ErrorAsync($"error: dead letter {failure.Id} was not replayed: {failure.Reason}");
        }
    }

    private static async Task<bool> LockAsync(NpgsqlConnection connection, string function, CancellationToken cancellation)
    {
        await using var command = new NpgsqlCommand($"select {function}({ReplayLockId})", connection);
        return (bool)(await command.ExecuteScalarAsync(cancellation))!;
    }

    private sealed record Choice(IReadOnlyList<DeadLetter> Letters, IReadOnlyList<SkippedView> Skipped, IReadOnlyList<string> Refusals);
}
