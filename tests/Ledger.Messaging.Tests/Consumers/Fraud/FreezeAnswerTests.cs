using System.Net;
using Ledger.Fraud;

namespace Ledger.Messaging.Tests.Consumers.Fraud;

/// <summary>
/// What the freeze loop makes of each answer of the API (ADR-025): the account's answers settle the freeze, the API refusing
/// the request itself is recorded for an operator, and everything else leaves it pending. The API's real answers for the
/// settling cases are in FraudFreezeTests (Ledger.Api.Tests).
/// </summary>
public sealed class FreezeAnswerTests
{
    [Theory]
    [InlineData(200, null, "frozen")]
    [InlineData(409, "/problems/account-status-unchanged", "already-frozen")]
    [InlineData(422, "/problems/account-closed", "account-closed")]
    [InlineData(404, "/problems/account-not-found", "account-not-found")]
    [InlineData(400, "/problems/validation-error", "refused")]
    [InlineData(422, "/problems/idempotency-key-reused", "refused")]
    [InlineData(415, "/problems/unsupported-media-type", "refused")]
    public void AnswerForGood_IsRecorded(int status, string? problemType, string outcome)
    {
        var result = FraudFreezeClient.Classify((HttpStatusCode)status, problemType, replayed: false);

        result.Should().BeEquivalentTo(new { Outcome = outcome, Final = true });
    }

    [Theory]
    [InlineData(401, "/problems/unauthenticated")]
    [InlineData(403, "/problems/forbidden")]
    [InlineData(404, "/problems/not-found")]
    [InlineData(404, null)]
    [InlineData(408, null)]
    [InlineData(409, "/problems/idempotency-key-in-flight")]
    [InlineData(429, "/problems/rate-limited")]
    [InlineData(500, "/problems/internal-error")]
    [InlineData(502, null)]
    [InlineData(503, "/problems/busy")]
    [InlineData(302, null)]
    public void AnyOtherAnswer_LeavesTheFreezePending(int status, string? problemType)
    {
        var result = FraudFreezeClient.Classify((HttpStatusCode)status, problemType, replayed: false);

        result.Should().BeEquivalentTo(new { Outcome = "failed", Final = false });
        result.Detail.Should().StartWith(status.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void ReplayedFreeze_IsFrozenAndSaysSo() =>
        FraudFreezeClient.Classify(HttpStatusCode.OK, null, replayed: true).Should().BeEquivalentTo(new { Outcome = "frozen", Final = true, Replayed = true });
}
