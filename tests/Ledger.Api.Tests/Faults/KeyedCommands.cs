using System.Net;
using System.Text;
using System.Text.Json;
using Ledger.Testing;

namespace Ledger.Api.Tests.Faults;

/// <summary>A deposit or transfer with its own Idempotency-Key, and what it does to balances once it took effect.</summary>
public sealed record KeyedCommand(string Key, string Path, string Json, Guid? Debit, Guid Credit, decimal Amount)
{
    public static KeyedCommand Deposit(Guid accountId, decimal amount) =>
        new($"deposit-{Guid.NewGuid():N}", $"{Teller.AccountsPath}/{accountId}/deposits", Teller.Json(new { amount }), null, accountId, amount);

    public static KeyedCommand Transfer(Guid from, Guid to, decimal amount) =>
        new($"transfer-{Guid.NewGuid():N}", Teller.TransfersPath, Teller.Json(new { fromAccountId = from, toAccountId = to, amount }), from, to, amount);
}

/// <summary>How one command fared: acknowledged or not, after how many attempts, and how many attempts ran into the client's timeout.</summary>
public sealed record Outcome(bool Acknowledged, int Attempts, int TimedOut, string LastAnswer = "");

/// <summary>
/// A client that does what the API asks of one (docs/api.md, Idempotency): it sends a command with its key and sends the
/// same key again after a 5xx, a 409 in-flight (an earlier attempt still holds the key) or a broken connection, until
/// the command is acknowledged (200 or 201) or its attempts run out. Any other answer fails the test: under these faults
/// nothing else is a correct answer.
/// </summary>
public static class KeyedRetries
{
    public static async Task<Outcome> SendAsync(HttpClient http, KeyedCommand command, int attemptsMax, TimeSpan pause,
        CancellationToken stop = default)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(command);
        var timedOut = 0;
        var last = "";
        for (var attempt = 1; attempt <= attemptsMax; attempt++)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(command.Path, UriKind.Relative))
                {
                    Content = new StringContent(command.Json, Encoding.UTF8, "application/json"),
                };
                request.Headers.Add("Idempotency-Key", command.Key);
                using var response = await http.SendAsync(request, CancellationToken.None);
                var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created)
                {
                    return new Outcome(true, attempt, timedOut, $"{(int)response.StatusCode}");
                }

                last = $"{(int)response.StatusCode} {body}";

                var retryable = (int)response.StatusCode >= 500 ||
                                (response.StatusCode == HttpStatusCode.Conflict && ProblemType(body) == "/problems/idempotency-key-in-flight");
                retryable.Should().BeTrue("only a 5xx or a key still in flight may be retried; got {0} {1}", (int)response.StatusCode, body);
            }
            catch (TaskCanceledException exception) when (exception.InnerException is TimeoutException)
            {
                timedOut++;
                last = "timed out";
            }
            catch (HttpRequestException exception)
            {
                last = exception.Message;
                // The connection broke (or was refused): the command may or may not have taken effect; the key settles it.
            }

            if (stop.IsCancellationRequested)
            {
                return new Outcome(false, attempt, timedOut, last);
            }

            await Task.Delay(pause, CancellationToken.None);
        }

        return new Outcome(false, attemptsMax, timedOut, last);
    }

    /// <summary>Every account's balance once each command took effect exactly once, from the opening balances.</summary>
    public static Dictionary<Guid, decimal> ExpectedBalances(IReadOnlyDictionary<Guid, decimal> opening, IEnumerable<KeyedCommand> commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var balances = new Dictionary<Guid, decimal>(opening);
        foreach (var command in commands)
        {
            balances[command.Credit] += command.Amount;
            if (command.Debit is { } debit)
            {
                balances[debit] -= command.Amount;
            }
        }

        return balances;
    }

    /// <summary>Events on each account's stream once each command took effect exactly once, from the opening counts.</summary>
    public static Dictionary<Guid, long> ExpectedVersions(IReadOnlyDictionary<Guid, long> opening, IEnumerable<KeyedCommand> commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var versions = new Dictionary<Guid, long>(opening);
        foreach (var command in commands)
        {
            versions[command.Credit]++;
            if (command.Debit is { } debit)
            {
                versions[debit]++;
            }
        }

        return versions;
    }

    private static string? ProblemType(string body)
    {
        try
        {
            return JsonDocument.Parse(body).RootElement.TryGetProperty("type", out var type) ? type.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
