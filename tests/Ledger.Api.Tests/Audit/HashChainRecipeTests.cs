using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Domain.Accounts;
using Ledger.Testing;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Ledger.Api.Tests.Audit;

/// <summary>
/// An independent recomputation of the hash chain from <c>history</c>, written from docs/audit.md alone: no production
/// hashing, canonicalization or JSON helper is used, so a change to the server's bytes that the document does not
/// describe fails here.
/// </summary>
[Collection(ApiFixtureGroup.Name)]
public sealed class HashChainRecipeTests(LedgerApiFactory factory)
{
    private const string Owner = "Zoë Ünal \"ZU\" \\ 東京";

    /// <summary>The example of docs/audit.md, "version 1 of an account opened by Ada".</summary>
    private const string DocumentedExample =
        """{"accountId":"7d0c8a52-3b1e-4c55-9a51-0a1e2f3b4c01","data":{"accountId":"7d0c8a52-3b1e-4c55-9a51-0a1e2f3b4c01","currency":"EUR","occurredAt":"2026-11-23T18:49:47.5640520Z","overdraftLimitMinor":10000,"owner":"Ada Lovelace"},"eventId":"01a20a1c-5f9e-7f4a-9e3b-5b0a7c2d1e10","sequence":1,"type":"AccountCreated","version":1}""";

    private readonly Teller _teller = new(factory.CreateClient());

    private readonly Auditor _auditor = new(factory.CreateClient());

    private readonly LedgerWriter _writer = new(factory.Services.GetRequiredService<IDocumentStore>());

    [Fact]
    public async Task EveryEventTypeWithEscapedText_RecomputesToEveryEntryHashAndTheHeadHash()
    {
        var zoe = await _teller.OpenAccountAsync("KWD", 5m, Owner);
        var other = await _teller.OpenAccountAsync("KWD", 0, "Plain Owner");
        await _teller.DepositAsync(zoe, "100.125", "Ref \"quoted\" \\ back, ünïcödé 東京 🚀");
        await _teller.WithdrawAsync(zoe, "0.125");
        await _teller.TransferAsync(zoe, other, "42.5", "Split \\ \"half\"");
        await _teller.TransferAsync(other, zoe, "0.001", null);
        await _writer.FreezeAsync(zoe, "Alert \"7\" \\ 東京", Guid.NewGuid());
        await _writer.UnfreezeAsync(zoe, "cleared ✓");
        await _writer.CaptureAsync(await _writer.PlaceHoldAsync(zoe, 10_000, "Hôtel \"Lisboa\"", DateTimeOffset.UtcNow.AddDays(3)), 7_500, other);
        await _writer.ApproveAsync(await _writer.PlaceHoldAsync(zoe, 1_000, purpose: HoldPurpose.TransferApproval, toAccountId: other,
            requestedBy: "clerk \"a\""), "supervisor \\ b");
        await _writer.ReleaseAsync(await _writer.PlaceHoldAsync(other, 1, purpose: HoldPurpose.WithdrawalApproval, requestedBy: "clerk"),
            ReleaseReasons.Rejected, rejectedBy: "supervisor");
        await _writer.CloseAsync(await _teller.OpenAccountAsync("KWD"), "Closed \"on request\"");

        foreach (var accountId in new[] { zoe, other })
        {
            // Small pages, so that the recomputation follows nextCursor as the recipe does.
            var entries = await _auditor.HistoryAsync(accountId, limit: 2);
            var head = Recompute(accountId, entries);

            head.Should().Be((await _auditor.IntegrityAsync(accountId)).GetProperty("headHash").GetString());
        }

        var created = (await _auditor.HistoryAsync(zoe))[0];
        Canonical(zoe, created).Should().Contain("\"actor\":{\"role\":\"teller\",\"subject\":\"test-teller\"}", "new events chain their actor");
        Canonical(zoe, created).Should().Contain("\"owner\":\"Zoë Ünal \\\"ZU\\\" \\\\ 東京\"", "only quote and backslash are escaped");
    }

    [Fact]
    public async Task AmountAboveTwoToTheFiftyThird_HashesAsAnExactInteger()
    {
        var accountId = await _teller.OpenAccountAsync("CLF");
        await _teller.DepositAsync(accountId, "999999999999.9999");

        var entries = await _auditor.HistoryAsync(accountId);

        entries[1].GetProperty("data").GetProperty("amountMinor").GetRawText().Should().Be("9999999999999999", "a double would round it to 1e16");
        Recompute(accountId, entries).Should().Be((await _auditor.IntegrityAsync(accountId)).GetProperty("headHash").GetString());
    }

    [Fact]
    public async Task EntryData_HoldsExactlyTheDocumentedMembers()
    {
        var a = await _teller.OpenAccountAsync("KWD", 0, Owner);
        var b = await _teller.OpenAccountAsync("KWD");
        await _teller.DepositAsync(a, "10", "With reference");
        await _teller.DepositAsync(a, "1");
        await _teller.WithdrawAsync(a, "2", "Out");
        await _teller.TransferAsync(a, b, "3", "Across");
        await _teller.TransferAsync(a, b, "1", null);

        var entries = await _auditor.HistoryAsync(a);

        string[][] expected =
        [
            ["accountId", "currency", "occurredAt", "overdraftLimitMinor", "owner"],
            ["accountId", "amountMinor", "currency", "occurredAt", "reference"],
            ["accountId", "amountMinor", "currency", "occurredAt"],
            ["accountId", "amountMinor", "currency", "occurredAt", "reference"],
            ["amountMinor", "currency", "fromAccountId", "occurredAt", "reference", "toAccountId", "transferId"],
            ["amountMinor", "currency", "fromAccountId", "occurredAt", "toAccountId", "transferId"],
        ];
        entries.Should().HaveCount(expected.Length);
        for (var i = 0; i < entries.Count; i++)
        {
            var data = entries[i].GetProperty("data");
            data.EnumerateObject().Select(member => member.Name).Order(StringComparer.Ordinal).Should().Equal(expected[i], "entry {0}", entries[i]);
            data.GetProperty("occurredAt").GetString().Should().MatchRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$")
                .And.Be(entries[i].GetProperty("occurredAt").GetString());
            foreach (var member in data.EnumerateObject().Where(member => member.Name.EndsWith("Id", StringComparison.Ordinal)))
            {
                member.Value.GetString().Should().MatchRegex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$");
            }

            foreach (var member in data.EnumerateObject().Where(member => member.Name.EndsWith("Minor", StringComparison.Ordinal)))
            {
                member.Value.GetRawText().Should().MatchRegex("^(0|[1-9][0-9]*)$", "amounts are unsigned plain integers");
            }
        }
    }

    /// <summary>The members of <c>data</c> for the freeze, closing and hold types, as the table in docs/audit.md lists them.</summary>
    [Fact]
    public async Task EntryDataOfFreezesClosingsAndHolds_HoldsExactlyTheDocumentedMembers()
    {
        var a = await _teller.OpenFundedAccountAsync("100", "KWD");
        var b = await _teller.OpenAccountAsync("KWD");
        await _writer.FreezeAsync(a, "alerted", Guid.NewGuid());
        await _writer.UnfreezeAsync(a, "cleared");
        await _writer.FreezeAsync(a, "by hand");
        await _writer.UnfreezeAsync(a, "cleared again");
        await _writer.CaptureAsync(await _writer.PlaceHoldAsync(a, 5_000, "booking", DateTimeOffset.UtcNow.AddDays(1)), 4_000, b);
        await _writer.CaptureAsync(await _writer.PlaceHoldAsync(a, 1_000));
        await _writer.ApproveAsync(await _writer.PlaceHoldAsync(a, 1_000, purpose: HoldPurpose.TransferApproval, toAccountId: b, requestedBy: "clerk"),
            "supervisor");
        await _writer.ReleaseAsync(await _writer.PlaceHoldAsync(a, 1_000, purpose: HoldPurpose.WithdrawalApproval, requestedBy: "clerk"),
            ReleaseReasons.Rejected, rejectedBy: "supervisor");
        await _writer.ReleaseAsync(await _writer.PlaceHoldAsync(a, 1_000));
        var closed = await _teller.OpenAccountAsync("KWD");
        await _writer.CloseAsync(closed, "unused");
        var closedWithoutReason = await _teller.OpenAccountAsync("KWD");
        await _writer.CloseAsync(closedWithoutReason);

        var entries = (await _auditor.HistoryAsync(a)).Skip(2).Concat((await _auditor.HistoryAsync(closed)).Skip(1))
            .Concat((await _auditor.HistoryAsync(closedWithoutReason)).Skip(1)).Concat((await _auditor.HistoryAsync(b)).Skip(1).Take(1)).ToList();

        string[] placed = ["accountId", "amountMinor", "currency", "holdId", "occurredAt", "purpose"];
        string[] captured = ["accountId", "amountMinor", "currency", "heldMinor", "holdId", "occurredAt"];
        string[] released = ["accountId", "amountMinor", "currency", "holdId", "occurredAt", "reason"];
        string[][] expected =
        [
            ["accountId", "alertId", "occurredAt", "reason"], ["accountId", "occurredAt", "reason"],
            ["accountId", "occurredAt", "reason"], ["accountId", "occurredAt", "reason"],
            [.. placed, "expiresAt", "reference"], [.. captured, "reference", "toAccountId"],
            placed, captured,
            [.. placed, "requestedBy", "toAccountId"], [.. captured, "approvedBy", "toAccountId"],
            [.. placed, "requestedBy"], [.. released, "rejectedBy"],
            placed, released,
            ["accountId", "occurredAt", "reason"], ["accountId", "occurredAt"],
            [.. captured, "reference", "toAccountId"],
        ];
        entries.Should().HaveCount(expected.Length);
        for (var i = 0; i < entries.Count; i++)
        {
            var data = entries[i].GetProperty("data");
            data.EnumerateObject().Select(member => member.Name).Order(StringComparer.Ordinal).Should()
                .Equal(expected[i].Order(StringComparer.Ordinal), "entry {0}", entries[i]);
            foreach (var member in data.EnumerateObject().Where(member => member.Name.EndsWith("At", StringComparison.Ordinal)))
            {
                member.Value.GetString().Should().MatchRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$");
            }
        }

        entries.Where(e => e.GetProperty("type").GetString() == "HoldPlaced").Select(e => e.GetProperty("data").GetProperty("purpose").GetString())
            .Should().Equal("hold", "hold", "transfer-approval", "withdrawal-approval", "hold");
        entries.Where(e => e.GetProperty("type").GetString() == "HoldReleased").Select(e => e.GetProperty("data").GetProperty("reason").GetString())
            .Should().Equal("rejected", "released");
        (await _auditor.HistoryAsync(closed))[^1].GetProperty("type").GetString().Should().Be("AccountClosed");
    }

    [Fact]
    public void DocumentedExample_IsWhatThisRecomputationWrites()
    {
        using var reordered = JsonDocument.Parse("""
            { "version": 1, "type": "AccountCreated", "sequence": 1, "eventId": "01a20a1c-5f9e-7f4a-9e3b-5b0a7c2d1e10",
              "data": { "owner": "Ada Lovelace", "overdraftLimitMinor": 10000, "occurredAt": "2026-11-23T18:49:47.5640520Z",
                        "currency": "EUR", "accountId": "7d0c8a52-3b1e-4c55-9a51-0a1e2f3b4c01" },
              "accountId": "7d0c8a52-3b1e-4c55-9a51-0a1e2f3b4c01" }
            """);

        CanonicalJson.Write(reordered.RootElement).Should().Be(DocumentedExample);
        CanonicalJson.Quote("a\"b\\c\u001f\t\n東").Should().Be("\"a\\\"b\\\\c\\u001f\\t\\n東\"");
    }

    /// <summary>Folds the chain over the entries, asserting each entry's hash; returns the head hash.</summary>
    private static string Recompute(Guid accountId, List<JsonElement> entries)
    {
        var chain = new byte[32];
        for (var i = 0; i < entries.Count; i++)
        {
            entries[i].Version().Should().Be(i + 1, "history lists every version once, in order");
            var canonical = Encoding.UTF8.GetBytes(Canonical(accountId, entries[i]));
            chain = SHA256.HashData([.. chain, .. canonical]);
            Convert.ToHexStringLower(chain).Should().Be(entries[i].GetProperty("hash").GetString(), "version {0} must chain", i + 1);
        }

        return Convert.ToHexStringLower(chain);
    }

    /// <summary>canonical(v): the six members of docs/audit.md, and <c>actor</c> when the entry has one, from the history entry.</summary>
    private static string Canonical(Guid accountId, JsonElement entry)
    {
        var members = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["accountId"] = CanonicalJson.Quote(accountId.ToString("D", CultureInfo.InvariantCulture)),
            ["data"] = CanonicalJson.Write(entry.GetProperty("data")),
            ["eventId"] = CanonicalJson.Write(entry.GetProperty("eventId")),
            ["sequence"] = CanonicalJson.Write(entry.GetProperty("sequence")),
            ["type"] = CanonicalJson.Write(entry.GetProperty("type")),
            ["version"] = CanonicalJson.Write(entry.GetProperty("version")),
        };
        if (entry.TryGetProperty("actor", out var actor))
        {
            members["actor"] = CanonicalJson.Write(actor);
        }

        return CanonicalJson.Object(members);
    }

    /// <summary>
    /// Sorted-key compact JSON as docs/audit.md specifies it: ordinal member order at every level, no whitespace, strings
    /// escaped only for quote, backslash and control characters, integers parsed as big integers and written plainly.
    /// </summary>
    private static class CanonicalJson
    {
        public static string Write(JsonElement value) => value.ValueKind switch
        {
            JsonValueKind.Object => Object(value.EnumerateObject().ToDictionary(member => member.Name, member => Write(member.Value), StringComparer.Ordinal)),
            JsonValueKind.String => Quote(value.GetString()!),
            JsonValueKind.Number => Integer(value.GetRawText()),
            _ => throw new InvalidOperationException($"The chain covers objects, strings and integers only, not {value.ValueKind}: {value.GetRawText()}"),
        };

        public static string Object(IReadOnlyDictionary<string, string> members) =>
            "{" + string.Join(',', members.OrderBy(member => member.Key, StringComparer.Ordinal).Select(member => Quote(member.Key) + ":" + member.Value)) + "}";

        public static string Quote(string text)
        {
            var builder = new StringBuilder(text.Length + 2).Append('"');
            foreach (var c in text)
            {
                builder.Append(c switch
                {
                    '"' => "\\\"",
                    '\\' => "\\\\",
                    '\b' => "\\b",
                    '\t' => "\\t",
                    '\n' => "\\n",
                    '\f' => "\\f",
                    '\r' => "\\r",
                    < ' ' => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
                    _ => c.ToString(),
                });
            }

            return builder.Append('"').ToString();
        }

        private static string Integer(string raw) =>
            BigInteger.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer)
                ? integer.ToString(CultureInfo.InvariantCulture)
                : throw new InvalidOperationException($"The chain covers integers only, not {raw}.");
    }
}
