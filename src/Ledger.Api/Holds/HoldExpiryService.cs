using Ledger.Api.Hosting;
using Ledger.Api.Infrastructure;
using Ledger.Domain.Accounts;
using Ledger.EventStore;
using Ledger.EventStore.Leadership;
using Marten;

namespace Ledger.Api.Holds;

public sealed class HoldExpiryOptions
{
    public const string Section = "Holds";

    /// <summary>How often the node that plays the role <c>hold-expiry</c> looks for holds past their expiry.</summary>
    public TimeSpan ExpiryPollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The most holds released per pass; a full pass is followed by another at once.</summary>
    public int ExpiryBatchMax { get; set; } = 256;

    /// <summary>Every problem with these settings, each naming its setting and value; empty when they are valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (ExpiryPollInterval <= TimeSpan.Zero || ExpiryPollInterval > TimeSpan.FromHours(1))
        {
            problems.Add($"{Section}:{nameof(ExpiryPollInterval)} must be above zero and at most 01:00:00, not {ExpiryPollInterval}.");
        }

        if (ExpiryBatchMax is < 1 or > 10_000)
        {
            problems.Add($"{Section}:{nameof(ExpiryBatchMax)} must be 1 to 10000, not {ExpiryBatchMax}.");
        }

        return problems;
    }
}

/// <summary>Fails start-up (with <c>ValidateOnStart</c>) when the settings are invalid.</summary>
public sealed class HoldExpiryOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<HoldExpiryOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, HoldExpiryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Problems();
        return problems.Count == 0
            ? Microsoft.Extensions.Options.ValidateOptionsResult.Success
            : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(problems);
    }
}

/// <summary>
/// Releases holds from their <c>expiresAt</c> on, with <c>HoldReleased(reason: expired)</c>, as the actor
/// <see cref="Actor.HoldExpiry"/>. It runs on the one node holding <see cref="LeaderRole.HoldExpiry"/>; and each release is
/// decided in the group commit under the account's lock on the hold as it is then, so a hold captured or released meanwhile,
/// or released by another node that briefly also believed it led, is left alone: a hold is released exactly once. "Now" is
/// the ledger's clock (<see cref="TimeProvider"/>), the same clock that decides every command.
/// </summary>
public sealed partial class HoldExpiryService(IDocumentStore store, GroupCommit group, TimeProvider clock, Microsoft.Extensions.Options.IOptions<HoldExpiryOptions> options,
    NodeLeadership leadership, ILogger<HoldExpiryService> logger) : LeaderService(leadership, logger)
{
    protected override LeaderRole Role => LeaderRole.HoldExpiry;

    protected override async Task RunWhileLeadingAsync(CancellationToken leading)
    {
        while (!leading.IsCancellationRequested)
        {
            var full = false;
            try
            {
                full = await ReleaseDueAsync(leading) == options.Value.ExpiryBatchMax;
            }
            catch (Exception failure) when (failure is not OperationCanceledException)
            {
                LogFailed(failure);
            }

            if (!full)
            {
                await Task.Delay(options.Value.ExpiryPollInterval, leading);
            }
        }
    }

    /// <summary>Releases the holds due now, all in the next group commits; returns how many were due.</summary>
    private async Task<int> ReleaseDueAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        IReadOnlyList<Hold> due;
        await using (var session = store.QuerySession())
        {
            due = await session.Query<Hold>()
                .Where(hold => hold.Status == HoldStatus.Open && hold.ExpiresAt != null && hold.ExpiresAt <= now)
                .OrderBy(hold => hold.ExpiresAt)
                .Take(options.Value.ExpiryBatchMax)
                .ToListAsync(cancellationToken);
        }

        var outcomes = await Task.WhenAll(due.Select(hold => ReleaseAsync(hold, cancellationToken)));
        var released = outcomes.Count(outcome => outcome);
        if (released > 0)
        {
            LogReleased(released);
        }

        return due.Count;
    }

    private async Task<bool> ReleaseAsync(Hold due, CancellationToken cancellationToken)
    {
        var command = new AccountCommand([due.AccountId], receiptId: null, (book, now) =>
            {
                // Under the account's lock: the hold as it is now, not as the query saw it.
                if (book.FindHold(due.HoldId) is not { Status: HoldStatus.Open } hold || book.Find(due.AccountId) is not { } account)
                {
                    return new RepeatDecision(false);
                }

                var released = AccountDecider.Decide(new ReleaseHold(hold.HoldId, ReleaseReasons.Expired, now), hold, account);
                return new AppendDecision([(account.AccountId, released)], Receipt: null, true);
            },
            Actor.HoldExpiry, correlationId: $"hold-expiry:{due.HoldId}", answer: null, trace: null, holdId: due.HoldId);
        try
        {
            return (bool)(await group.RunAsync(command, cancellationToken)).Response;
        }
        catch (HoldNotExpired)
        {
            // The clock the query read and the one the batch decided on disagree by a hair; the next pass takes it.
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Released {Count} expired hold(s)")]
    private partial void LogReleased(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Releasing expired holds failed; trying again at the next pass")]
    private partial void LogFailed(Exception failure);
}
