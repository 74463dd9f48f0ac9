using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Contracts;
using Ledger.Testing;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace Ledger.Api.Tests;

/// <summary>
/// The observability profile's files (deploy/observability) parse, and every metric the Grafana dashboard and the alert
/// rules query is one that a running API or the workers export after traffic: a renamed metric breaks this test, not a
/// dashboard panel at three in the morning. An API and a database of its own (its consumers and the workers share them).
/// </summary>
public sealed partial class ObservabilityConfigTests(LedgerApiFactory factory) : IClassFixture<LedgerApiFactory>
{
    private static readonly string Observability = Path.Combine(Repository(), "deploy", "observability");

    [Fact]
    public void PrometheusConfig_ScrapesTheApiWithATokenAndTheWorkers_AndLoadsTheRules()
    {
        var config = Yaml(Path.Combine(Observability, "prometheus.yml"));

        ((IEnumerable<object>)config["rule_files"]).Should().Equal("/etc/prometheus/alerts.yml");
        var jobs = ((IEnumerable<object>)config["scrape_configs"]).Cast<Dictionary<object, object>>()
            .ToDictionary(job => (string)job["job_name"]);
        jobs.Keys.Should().BeEquivalentTo(["ledger-api", "ledger-workers"]);
        Targets(jobs["ledger-api"]).Should().BeEquivalentTo(["api-1:8080", "api-2:8080"]);
        ((Dictionary<object, object>)jobs["ledger-api"]["authorization"])["credentials_file"].Should().Be("/etc/prometheus/secrets/api-token");
        Targets(jobs["ledger-workers"]).Should().BeEquivalentTo(["workers:8081"]);
    }

    /// <summary>
    /// docker-compose.yml cannot run here (no Docker engine), so its shape is checked as Docker would read it (anchors and
    /// merge keys resolved): two API nodes or more, named apart, one of them applying the schema, all behind the proxy, and
    /// a healthcheck on every service.
    /// </summary>
    [Fact]
    public void Compose_RunsTwoApiNodesBehindTheProxy_AndEveryServiceHasAHealthcheck()
    {
        var services = ((Dictionary<object, object>)Compose()["services"])
            .ToDictionary(service => (string)service.Key, service => (Dictionary<object, object>)service.Value);

        services.Where(service => !service.Value.ContainsKey("healthcheck")).Select(service => service.Key).Should()
            .BeEmpty("every service says when it is healthy");
        var nodes = services.Where(service => service.Value.TryGetValue("build", out var build) &&
                                              (string)((Dictionary<object, object>)build)["dockerfile"] == "src/Ledger.Api/Dockerfile")
            .ToDictionary(service => service.Key, service => (Dictionary<object, object>)service.Value["environment"]);
        nodes.Should().HaveCountGreaterThanOrEqualTo(2);
        nodes.Values.Select(environment => (string)environment["Ledger__NodeName"]).Should().OnlyHaveUniqueItems();
        nodes.Values.Count(environment => (string)environment["Ledger__ApplySchemaOnStart"] == "true").Should()
            .Be(1, "one node applies the schema; the others start once it is healthy");
        var proxy = File.ReadAllText(Path.Combine(Repository(), "deploy", "proxy", "nginx.conf"));
        foreach (var node in nodes.Keys)
        {
            proxy.Should().Contain($"server {node}:8080", "the proxy sends tellers to every node");
        }

        ((IEnumerable<object>)services["proxy"]["ports"]).Should().Equal("5080:8080");
        services.Where(service => service.Value.ContainsKey("ports")).Select(service => service.Key).Should()
            .NotContain(nodes.Keys, "tellers reach the nodes through the proxy only");
    }

    [Fact]
    public async Task DashboardAndAlertRules_UseOnlyMetricsTheApiAndTheWorkersExport()
    {
        var used = DashboardExpressions().Concat(RuleExpressions()).SelectMany(MetricNames).ToHashSet(StringComparer.Ordinal);
        used.Should().Contain(["ledger_relay_lag", "ledger_consumer_lag", "ledger_consumer_dead_letters_total", "ledger_fraud_alerts_total",
            "ledger_leadership_leader", "http_server_request_duration_seconds_bucket"], "the dashboard shows these (docs/operations.md)");

        using var admin = factory.CreateClient();
        var bootstrapServers = (await admin.GetFromJsonAsync<JsonElement>("/api/v1/system"))
            .GetProperty("kafka").GetProperty("bootstrapServers").GetString()!;
        var (workers, address) = await WorkersProcess.StartAsync(factory.ConnectionString, bootstrapServers, assembly: WorkersProcess.InOwnOutput());
        await using var running = workers;
        using var workersHttp = new HttpClient { BaseAddress = address };
        await MakeTrafficAsync(bootstrapServers);

        var missing = used.ToList();
        try
        {
            await Eventually.HoldsAsync(async () =>
            {
                var exported = await admin.GetStringAsync(new Uri("/metrics", UriKind.Relative)) + "\n" +
                               await workersHttp.GetStringAsync(new Uri("/metrics", UriKind.Relative));
                var names = ExportedNames(exported);
                missing = [.. used.Where(name => !names.Contains(name)).Order(StringComparer.Ordinal)];
                return missing.Count == 0;
            }, "every metric of the dashboard and the rules exported");
        }
        catch (TimeoutException)
        {
            // Named below.
        }

        missing.Should().BeEmpty("the dashboard and the rules query only what the hosts export");
    }

    /// <summary>A deposit, a withdrawal large enough for a fraud alert, and a message no consumer can read (a dead letter).</summary>
    private async Task MakeTrafficAsync(string bootstrapServers)
    {
        var teller = new Teller(factory.CreateClient());
        var account = await teller.OpenAccountAsync();
        await teller.DepositAsync(account, "20000.00");
        using (var withdrawal = await teller.WithdrawRawAsync(account, Teller.Json(new { amount = "15000.00" })))
        {
            await Teller.Expect(withdrawal, HttpStatusCode.OK);
        }

        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = bootstrapServers }).Build();
        await producer.ProduceAsync(KafkaTopics.AccountEvents, KafkaTestMessages.AccountCreated(Guid.NewGuid()).WithBody("{ not json"));
    }

    private static List<string> DashboardExpressions()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(Observability, "grafana", "dashboards", "ledger.json")));
        return dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(panel => panel.GetProperty("targets").EnumerateArray())
            .Select(target => target.GetProperty("expr").GetString()!).ToList();
    }

    private static List<string> RuleExpressions()
    {
        var rules = Yaml(Path.Combine(Observability, "alerts.yml"));
        return ((IEnumerable<object>)rules["groups"]).Cast<Dictionary<object, object>>()
            .SelectMany(group => ((IEnumerable<object>)group["rules"]).Cast<Dictionary<object, object>>())
            .Select(rule => (string)rule["expr"]).ToList();
    }

    /// <summary>
    /// The metric names a PromQL expression selects: label matchers and grouping clauses removed, then every identifier with
    /// the prefix of a metric the hosts export (functions and keywords have none of them).
    /// </summary>
    private static IEnumerable<string> MetricNames(string expression)
    {
        var selectors = Grouping().Replace(Matchers().Replace(expression, ""), "");
        return MetricName().Matches(selectors).Select(match => match.Value);
    }

    /// <summary>The names of the samples in a Prometheus text exposition (histograms as their _bucket, _sum, _count series).</summary>
    private static HashSet<string> ExportedNames(string exposition) =>
        exposition.Split('\n').Where(line => line.Length > 0 && line[0] != '#')
            .Select(line => line.Split('{', ' ')[0]).ToHashSet(StringComparer.Ordinal);

    private static IEnumerable<string> Targets(Dictionary<object, object> job) =>
        ((IEnumerable<object>)job["static_configs"]).Cast<Dictionary<object, object>>()
            .SelectMany(config => ((IEnumerable<object>)config["targets"]).Cast<string>());

    private static Dictionary<object, object> Yaml(string path) =>
        new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(File.ReadAllText(path));

    private static Dictionary<object, object> Compose()
    {
        using var text = new StringReader(File.ReadAllText(Path.Combine(Repository(), "docker-compose.yml")));
        return new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(new MergingParser(new Parser(text)));
    }

    private static string Repository()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Ledger.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The tests run outside the repository.");
    }

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Matchers();

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"\b(ledger|http|db_client|dotnet|kestrel|aspnetcore)_[a-z0-9_]+\b")]
    private static partial Regex MetricName();
}
