using Ledger.EventStore.Projections;
using Ledger.Testing;
using Npgsql;

namespace Ledger.Api.Tests.Projections;

/// <summary>One rebuild per projection per database: the lock is seen and refused in its own database only.</summary>
public sealed class ProjectionLockTests
{
    [Fact]
    public async Task ALockHeldInOneDatabase_IsInvisibleToAnother_AndReleasedOnDispose()
    {
        await using var first = new NpgsqlConnection(PostgresServer.CreateDatabase());
        await using var second = new NpgsqlConnection(PostgresServer.CreateDatabase());
        await using var firstAgain = new NpgsqlConnection(first.ConnectionString);
        await first.OpenAsync();
        await second.OpenAsync();
        await firstAgain.OpenAsync();

        var held = await ProjectionLock.TryTakeAsync(first, "accounts", CancellationToken.None);

        held.Should().NotBeNull();
        (await ProjectionLock.IsHeldAsync(firstAgain, "accounts", CancellationToken.None)).Should().BeTrue();
        (await ProjectionLock.TryTakeAsync(firstAgain, "accounts", CancellationToken.None)).Should().BeNull();
        (await ProjectionLock.IsHeldAsync(firstAgain, "account-entries", CancellationToken.None)).Should().BeFalse();
        (await ProjectionLock.IsHeldAsync(second, "accounts", CancellationToken.None)).Should().BeFalse();
        await using (var other = await ProjectionLock.TryTakeAsync(second, "accounts", CancellationToken.None))
        {
            other.Should().NotBeNull();
        }

        await held!.DisposeAsync();
        (await ProjectionLock.IsHeldAsync(firstAgain, "accounts", CancellationToken.None)).Should().BeFalse();
    }
}
