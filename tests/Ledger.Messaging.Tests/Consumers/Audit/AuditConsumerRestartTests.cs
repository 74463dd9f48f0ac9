using Ledger.AuditLog;
using Xunit.Abstractions;
using static Ledger.Testing.KafkaTestMessages;

namespace Ledger.Messaging.Tests.Consumers.Audit;

/// <summary>
/// A second consumer in group <c>ledger-audit</c> resumes where the first stopped. Its own class, so that xunit runs it
/// beside <see cref="AuditConsumerTests"/>: the embedded broker holds a new group generation back for the leaving
/// member's session timeout less 1 s, and <see cref="Consumers.ConsumerLoop"/> fixes that timeout at 30 s.
/// </summary>
public sealed class AuditConsumerRestartTests(ITestOutputHelper output) : AuditConsumerScenario(output)
{
    /// <summary>The mock's rejoin delay (29 s, see above) plus headroom.</summary>
    private static readonly TimeSpan RejoinPatience = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task Restart_ResumesWithoutLossOrDuplicates()
    {
        var accounts = Enumerable.Range(0, 5).Select(_ => Guid.NewGuid()).ToList();
        var first = await StartConsumerAsync();
        await ProduceAllAsync([.. accounts.Select(account => AccountCreated(account))]);
        await WaitForStatusAsync(status => status.Entries == 5);

        await first.StopAsync(CancellationToken.None);
        await ProduceAllAsync([.. accounts.Select(account => MoneyDeposited(account, 2))]);
        await StartConsumerAsync();
        await ProduceAllAsync([.. accounts.Select(account => MoneyWithdrawn(account, 3))]);

        var status = await WaitForStatusAsync(status => status.Entries == 15, RejoinPatience);
        status.Should().BeEquivalentTo(new AuditStatus(15, 5, 0, 0, 0, 0, 0, []), "the stopped consumer stored its offsets on the way out");
    }
}
