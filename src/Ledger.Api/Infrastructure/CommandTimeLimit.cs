using FluentValidation;
using Ledger.Domain.Accounts;
using Mediator;
using Microsoft.Extensions.Options;

namespace Ledger.Api.Infrastructure;

public sealed class CommandOptions
{
    public const string Section = "Commands";

    /// <summary>
    /// How long a command may take, lock waits included, before it is abandoned and answered 503. At most half of
    /// <see cref="IdempotencyOptions.Lease"/>, so that a request ends (and rolls back) while it still holds its key (ADR-009).
    /// </summary>
    public TimeSpan TimeLimit { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>The answer to a command abandoned at its deadline, before it could commit.</summary>
    public static ProblemException TimeLimitExceeded(TimeSpan limit, Exception cause) =>
        new(Problems.Busy,
            $"The command did not finish within its time limit of {limit.TotalSeconds:0.###} s (an account involved is held " +
            "by other work) and was abandoned; retry shortly.", cause);

    public static bool FitsTheLease(CommandOptions commands, IdempotencyOptions idempotency)
    {
        ArgumentNullException.ThrowIfNull(commands);
        ArgumentNullException.ThrowIfNull(idempotency);
        return commands.TimeLimit > TimeSpan.Zero && commands.TimeLimit * 2 <= idempotency.Lease;
    }
}

/// <summary>
/// Gives every command a deadline: its cancellation token fires after <see cref="CommandOptions.TimeLimit"/>, which
/// cancels the statement the command waits on (a row lock, a slow commit) and rolls its transaction back. The deadline
/// runs on real time, like the database's own waits, not on the injected clock that stamps events and leases.
/// </summary>
public sealed class TimeLimitBehavior<TMessage, TResponse>(IOptions<CommandOptions> options) : IPipelineBehavior<TMessage, TResponse>
    where TMessage : notnull, IMessage
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(next);
        if (message is not IBaseCommand)
        {
            return await next(message, cancellationToken);
        }

        var limit = options.Value.TimeLimit;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limit);
        try
        {
            return await next(message, deadline.Token);
        }
        catch (Exception exception) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested &&
                                          exception is not (ProblemException or Rejection or ValidationException))
        {
            throw CommandOptions.TimeLimitExceeded(limit, exception);
        }
    }
}
