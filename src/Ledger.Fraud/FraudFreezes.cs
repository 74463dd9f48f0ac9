using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Ledger.Fraud;

/// <summary>
/// The freezes fraud rules ask for, issued like the alerts are published (ADR-025): the consumer stores an alert of a rule
/// with <c>FreezeAccount</c> with a pending freeze in the alert's own transaction; this loop sends each pending freeze to
/// the API (<see cref="FraudFreezeClient"/>) and records the answer only once it has one for good. A crash between the
/// API's answer and the record sends the freeze again, which the API answers as a replay. The loop runs when the
/// consumer stored a pending freeze (<see cref="Wake"/>) and every <c>Fraud:Actions:SweepInterval</c> (pending freezes
/// of a crashed process or of another instance); while the API refuses or cannot be reached it waits, doubling the wait
/// from 1 s up to <c>Fraud:Actions:RetryBackoffMax</c>.
/// </summary>
public sealed partial class FraudFreezes : BackgroundService
{
    /// <summary>Pending freezes read per round trip to the store, in detection order.</summary>
    public const int BatchMax = 100;

    public static readonly TimeSpan RetryBackoffMin = TimeSpan.FromSeconds(1);

    private static readonly Meter Meter = new(FraudConsumer.TelemetryName);
    private static readonly Counter<long> Issued = Meter.CreateCounter<long>("ledger.fraud.freezes", "{freeze}",
        "Freezes the fraud rules asked for, per rule and outcome (frozen, already-frozen, account-closed, account-not-found, refused; " +
        "failed counts attempts that will be retried).");

    private readonly FraudStore _store;
    private readonly FraudFreezeClient _client;
    private readonly FraudOptions _fraud;
    private readonly ILogger<FraudFreezes> _logger;
    private readonly SemaphoreSlim _work = new(0, 1);
    private readonly Lock _waking = new();

    public FraudFreezes(FraudStore store, FraudFreezeClient client, IOptions<FraudOptions> options, ILogger<FraudFreezes> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _client = client;
        _fraud = options.Value;
        _logger = logger;
        // Every series exists from the start at zero, so that Prometheus's increase() sees the first one counted.
        foreach (var rule in (string[])[FraudRules.LargeDebit, FraudRules.Velocity, FraudRules.DepositDrain])
        {
            foreach (var outcome in FreezeResult.Outcomes)
            {
                Issued.Add(0, Tags(rule, outcome));
            }
        }
    }

    /// <summary>Tells the loop that a pending freeze was stored; it goes on at once, or after its current wait for the API.</summary>
    public void Wake()
    {
        lock (_waking)
        {
            if (_work.CurrentCount == 0)
            {
                _work.Release();
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_fraud.FreezesAny)
        {
            return;
        }

        var actions = _fraud.Actions;
        var backoff = RetryBackoffMin;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (await IssuePendingAsync(stoppingToken))
                {
                    backoff = RetryBackoffMin;
                    await _work.WaitAsync(actions.SweepInterval, stoppingToken);
                }
                else
                {
                    await Task.Delay(backoff, stoppingToken);
                    backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, actions.RetryBackoffMax.Ticks));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: a freeze sent but not recorded stays pending and is sent again, as a replay, by the next start.
        }
    }

    /// <summary>Issues every pending freeze in detection order; false at the first that must be retried.</summary>
    private async Task<bool> IssuePendingAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<PendingFreeze> pending;
        do
        {
            try
            {
                pending = await _store.PendingFreezesAsync(BatchMax, cancellationToken);
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
            {
                LogStoreFailed(_logger, exception);
                return false;
            }

            foreach (var freeze in pending)
            {
                if (!await IssueAsync(freeze, cancellationToken))
                {
                    return false;
                }
            }
        }
        while (pending.Count == BatchMax);

        return true;
    }

    private async Task<bool> IssueAsync(PendingFreeze freeze, CancellationToken cancellationToken)
    {
        FreezeResult result;
        try
        {
            result = await _client.FreezeAsync(freeze, cancellationToken);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            // No answer: the API is unreachable or too slow, or the token file cannot be read.
            Issued.Add(1, Tags(freeze.Rule, FreezeResult.Failed));
            LogNoAnswer(_logger, freeze.AccountId, freeze.AlertId, exception.Message);
            return false;
        }

        if (!result.Final)
        {
            Issued.Add(1, Tags(freeze.Rule, FreezeResult.Failed));
            LogRetry(_logger, freeze.AccountId, freeze.AlertId, result.Detail);
            return false;
        }

        try
        {
            if (!await _store.MarkFreezeAsync(freeze.AlertId, result.Outcome, cancellationToken))
            {
                // Another instance recorded its answer first; it counted and logged it.
                return true;
            }
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            LogStoreFailed(_logger, exception);
            return false;
        }

        Issued.Add(1, Tags(freeze.Rule, result.Outcome));
        Log(freeze, result);
        return true;
    }

    private void Log(PendingFreeze freeze, FreezeResult result)
    {
        switch (result.Outcome)
        {
            case FreezeResult.Frozen:
                LogFrozen(_logger, freeze.AccountId, freeze.Rule, freeze.AlertId, result.Replayed ? " (the API replayed its first answer)" : "");
                break;
            case FreezeResult.Refused:
                LogRefused(_logger, freeze.AccountId, freeze.AlertId, result.Detail);
                break;
            default:
                LogNotFrozen(_logger, freeze.AccountId, freeze.Rule, freeze.AlertId, result.Outcome);
                break;
        }
    }

    public override void Dispose()
    {
        _work.Dispose();
        base.Dispose();
    }

    private static KeyValuePair<string, object?>[] Tags(string rule, string outcome) =>
        [new("rule", rule), new("outcome", outcome)];

    [LoggerMessage(Level = LogLevel.Warning, Message = "Froze account {AccountId} on fraud alert {Rule} {AlertId}{Replay}")]
    private static partial void LogFrozen(ILogger logger, Guid accountId, string rule, Guid alertId, string replay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Did not freeze account {AccountId} on fraud alert {Rule} {AlertId}: {Outcome}")]
    private static partial void LogNotFrozen(ILogger logger, Guid accountId, string rule, Guid alertId, string outcome);

    [LoggerMessage(Level = LogLevel.Error, Message = "The API refused the freeze of account {AccountId} on fraud alert {AlertId} ({Answer}); " +
                                                     "it is recorded as refused and not sent again")]
    private static partial void LogRefused(ILogger logger, Guid accountId, Guid alertId, string answer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Freeze of account {AccountId} on fraud alert {AlertId} answered {Answer}; retrying later")]
    private static partial void LogRetry(ILogger logger, Guid accountId, Guid alertId, string answer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Freeze of account {AccountId} on fraud alert {AlertId} could not be sent or got no answer ({Reason}); retrying later")]
    private static partial void LogNoAnswer(ILogger logger, Guid accountId, Guid alertId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The fraud store could not be read or written for the pending freezes; retrying later")]
    private static partial void LogStoreFailed(ILogger logger, Exception exception);
}
