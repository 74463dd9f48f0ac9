using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Ledger.Fraud;

/// <summary>How the API answered a freeze: <see cref="Final"/> answers are recorded in the alert's <c>freeze_state</c>, the others retried.</summary>
public sealed record FreezeResult(string Outcome, bool Final, string Detail, bool Replayed = false)
{
    /// <summary>The account is frozen now by this alert (or was, by this alert's earlier request: a replay).</summary>
    public const string Frozen = "frozen";

    /// <summary>The account was frozen already, by someone else or another alert.</summary>
    public const string AlreadyFrozen = "already-frozen";

    public const string AccountClosed = "account-closed";

    public const string AccountNotFound = "account-not-found";

    /// <summary>The API refused the request itself (400, another 422): sending it again cannot help. An operator looks at it.</summary>
    public const string Refused = "refused";

    /// <summary>Not an answer for good (401, 403, 409 in flight, 429, 5xx, no answer): the freeze stays pending and is sent again.</summary>
    public const string Failed = "failed";

    public static IReadOnlyList<string> Outcomes { get; } = [Frozen, AlreadyFrozen, AccountClosed, AccountNotFound, Refused, Failed];
}

/// <summary>
/// Sends a freeze to the API's own command, <c>POST {Fraud:Actions:ApiUrl}/api/v1/accounts/{id}/freeze</c>, as the fraud
/// service identity, keyed by the alert (<c>Idempotency-Key: fraud-alert-{alertId}</c>), so that sending it again (after a
/// crash, by a second instance) is a replay of the first answer and never a second freeze (ADR-025). The HTTP client
/// (<see cref="HttpClientName"/>) retries transient failures and bounds each attempt and the whole call.
/// </summary>
public sealed class FraudFreezeClient(IHttpClientFactory httpClients, IOptions<FraudOptions> options)
{
    public const string HttpClientName = "ledger-fraud-actions";

    public const string IdempotencyKeyPrefix = "fraud-alert-";

    private readonly ServiceToken _token = new(options.Value.Actions);

    /// <summary>The reason the freeze records: the rule and the alert, so that a teller reading the account's history sees why.</summary>
    public static string ReasonOf(PendingFreeze freeze)
    {
        ArgumentNullException.ThrowIfNull(freeze);
        return $"fraud alert {freeze.Rule} {freeze.AlertId}";
    }

    /// <summary>Sends the freeze once (the HTTP client may try several times); throws when no answer came (network, timeout).</summary>
    public async Task<FreezeResult> FreezeAsync(PendingFreeze freeze, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(freeze);
        var token = _token.Read();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"api/v1/accounts/{freeze.AccountId}/freeze", UriKind.Relative))
        {
            Content = JsonContent.Create(new FreezeRequest(ReasonOf(freeze), freeze.AlertId)),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Add("Idempotency-Key", IdempotencyKeyPrefix + freeze.AlertId);
        var http = httpClients.CreateClient(HttpClientName);
        using var response = await http.SendAsync(request, cancellationToken);
        var problem = await ProblemTypeAsync(response, cancellationToken);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            // A renewed token may be in the file although its time stamp did not move.
            _token.Forget();
        }

        return Classify(response.StatusCode, problem, response.Headers.Contains("Idempotency-Replayed"));
    }

    /// <summary>The outcome of an answer: the few that settle the freeze, the API's refusals of the request itself, and the rest to retry.</summary>
    public static FreezeResult Classify(HttpStatusCode status, string? problemType, bool replayed)
    {
        var code = (int)status;
        var detail = problemType is null ? $"{code}" : $"{code} {problemType}";
        return (code, problemType) switch
        {
            (200, _) => new FreezeResult(FreezeResult.Frozen, Final: true, detail, replayed),
            (409, "/problems/account-status-unchanged") => new FreezeResult(FreezeResult.AlreadyFrozen, Final: true, detail),
            (422, "/problems/account-closed") => new FreezeResult(FreezeResult.AccountClosed, Final: true, detail),
            (404, "/problems/account-not-found") => new FreezeResult(FreezeResult.AccountNotFound, Final: true, detail),
            // Another 404 is a wrong Fraud:Actions:ApiUrl; 401, 403 a token to fix; 408, 409 (the key in flight), 429 and
            // 5xx pass. None is the account's answer, so the freeze stays pending.
            (401 or 403 or 404 or 408 or 409 or 429, _) or (>= 500, _) => new FreezeResult(FreezeResult.Failed, Final: false, detail),
            (>= 400 and < 500, _) => new FreezeResult(FreezeResult.Refused, Final: true, detail),
            _ => new FreezeResult(FreezeResult.Failed, Final: false, detail),
        };
    }

    private static async Task<string?> ProblemTypeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return null;
        }

        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            using var problem = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
            return problem.RootElement.ValueKind == JsonValueKind.Object && problem.RootElement.TryGetProperty("type", out var type)
                                                                            && type.ValueKind == JsonValueKind.String
                ? type.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed record FreezeRequest(string Reason, Guid AlertId);

    /// <summary>
    /// The bearer token: <c>Fraud:Actions:Token</c>, or the content of <c>Fraud:Actions:TokenFile</c>, read again when the
    /// file's time stamp or length changes (an identity provider's agent renews it there) or after the API refused it.
    /// </summary>
    private sealed class ServiceToken(FraudActionsOptions actions)
    {
        private readonly Lock _lock = new();
        private (DateTime WrittenAt, long Length, string Token)? _read;

        public string Read()
        {
            if (!string.IsNullOrWhiteSpace(actions.Token))
            {
                return actions.Token.Trim();
            }

            var file = new FileInfo(actions.TokenFile ?? throw new InvalidOperationException($"{FraudActionsOptions.Section}:Token or TokenFile is not set."));
            if (!file.Exists)
            {
                throw new FileNotFoundException($"{FraudActionsOptions.Section}:TokenFile '{file.FullName}' does not exist.", file.FullName);
            }

            lock (_lock)
            {
                if (_read is { } read && read.WrittenAt == file.LastWriteTimeUtc && read.Length == file.Length)
                {
                    return read.Token;
                }

                var token = File.ReadAllText(file.FullName).Trim();
                if (token.Length == 0)
                {
                    throw new InvalidOperationException($"{FraudActionsOptions.Section}:TokenFile '{file.FullName}' is empty.");
                }

                _read = (file.LastWriteTimeUtc, file.Length, token);
                return token;
            }
        }

        public void Forget()
        {
            lock (_lock)
            {
                _read = null;
            }
        }
    }
}
