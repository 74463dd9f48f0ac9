using Ledger.Api.Infrastructure;
using Ledger.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Ledger.Api.Tests.Infrastructure;

/// <summary>The commands an API has queued for its group commit writers (ADR-018), as tests that hold writers wait for them.</summary>
public static class GroupCommitWaits
{
    /// <summary>Waits until the API behind <paramref name="services"/> has at least this many commands waiting for a writer.</summary>
    public static Task WaitForWaitingCommandsAsync(this IServiceProvider services, int count)
    {
        var group = services.GetRequiredService<GroupCommit>();
        return Eventually.HoldsAsync(() => Task.FromResult(group.Waiting >= count), $"{count} commands waiting for a group commit writer");
    }
}
