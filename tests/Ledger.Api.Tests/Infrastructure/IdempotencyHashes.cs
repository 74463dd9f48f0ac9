namespace Ledger.Api.Tests.Infrastructure;

/// <summary>The request fingerprint the API stores with a key, for tests that plant a reservation row.</summary>
public static class IdempotencyHashes
{
    public static string Of(string method, string path, string body) =>
        Ledger.Api.Infrastructure.IdempotencyStore.Hash(method, path, System.Text.Encoding.UTF8.GetBytes(body));
}
