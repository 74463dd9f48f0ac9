using Ledger.Api.Infrastructure;
using Ledger.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Ledger.Api.Tests.Accounts;

/// <summary>Stored responses are kept for the retention period (at least 24 hours), then purged.</summary>
[Collection(ApiFixtureGroup.Name)]
public sealed class IdempotencyRetentionTests(LedgerApiFactory factory)
{
    [Fact]
    public async Task Purge_DeletesOnlyResponsesOlderThanTheRetention()
    {
        var store = factory.Services.GetRequiredService<IdempotencyStore>();
        var (old, recent, running) = ($"old-{Guid.NewGuid():N}", $"recent-{Guid.NewGuid():N}", $"running-{Guid.NewGuid():N}");
        await using (var connection = new NpgsqlConnection(factory.ConnectionString))
        {
            await connection.OpenAsync();
            await using var insert = new NpgsqlCommand(
                "insert into ledger.idempotency_keys (key, request_hash, created_at, locked_until, completed_at, response_status, response_body) values " +
                "($1, 'h', now() - interval '49 hours', now() - interval '49 hours', now() - interval '49 hours', 200, '{}'), " +
                "($2, 'h', now() - interval '23 hours', now() - interval '23 hours', now() - interval '23 hours', 200, '{}'), " +
                "($3, 'h', now() - interval '49 hours', now() - interval '49 hours', null, null, null)", connection);
            insert.Parameters.Add(new NpgsqlParameter { Value = old });
            insert.Parameters.Add(new NpgsqlParameter { Value = recent });
            insert.Parameters.Add(new NpgsqlParameter { Value = running });
            await insert.ExecuteNonQueryAsync();
        }

        await store.PurgeAsync(CancellationToken.None);

        (await ExistsAsync(old)).Should().BeFalse();
        (await ExistsAsync(recent)).Should().BeTrue("responses younger than the retention are kept");
        (await ExistsAsync(running)).Should().BeTrue("a reservation without a response is taken over by a retry, not purged");
    }

    [Fact]
    public void Retention_OfLessThanADay_IsRefusedAtStartup()
    {
        using var shortRetention = factory.WithWebHostBuilder(builder => builder.UseSetting("Idempotency:Retention", "12:00:00"));

        var act = () => shortRetention.CreateClient();

        act.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().WithMessage("*at least 24 hours*");
    }

    private async Task<bool> ExistsAsync(string key)
    {
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var select = new NpgsqlCommand("select count(*) from ledger.idempotency_keys where key = $1", connection);
        select.Parameters.Add(new NpgsqlParameter { Value = key });
        return (long)(await select.ExecuteScalarAsync())! == 1;
    }
}
