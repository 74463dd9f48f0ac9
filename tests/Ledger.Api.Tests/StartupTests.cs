using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text;
using Ledger.Contracts;
using Ledger.Development.Postgres;
using Ledger.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ledger.Api.Tests;

/// <summary>
/// What the API does with what it is given: in Development it starts what is missing; anywhere else a missing setting
/// or an invalid one is one clear message and exit code 1, never an embedded stand-in (ADR-015).
/// </summary>
public sealed class StartupTests
{
    [Fact]
    public async Task NoPostgresBinaries_ExitWithOneMessageNamingThePackageAndTheSetting()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"ledger-startup-{Guid.NewGuid():N}");
        await using var api = ApiProcess.Start(new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["ConnectionStrings__Ledger"] = "",
            ["Postgres__BinDirectory"] = Path.Combine(folder, "no-binaries-here"),
            ["Postgres__DataDirectory"] = Path.Combine(folder, "data"),
        });

        (await api.WaitForExitAsync()).Should().Be(1);
        api.StandardError.Should().StartWith("Ledger cannot start:").And.Contain("postgresql").And.Contain("ConnectionStrings:Ledger");
        api.StandardOutput.Should().NotContain("Now listening");
    }

    /// <summary>The body limit is Kestrel's, which the in-memory test server does not apply: run the real server.</summary>
    [Fact]
    public async Task BodyOverTheLimit_IsAPayloadTooLargeProblem()
    {
        var (api, address) = await ApiProcess.StartAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings__Ledger"] = PostgresServer.CreateDatabase(),
            ["Kafka__RelayEnabled"] = "false",
            ["Kafka__ConsumersEnabled"] = "false",
            ["Ledger__ApplySchemaOnStart"] = "true",
        });
        await using (api)
        {
            using var http = new HttpClient { BaseAddress = address }.As(Roles.Teller);
            var body = $$"""{"owner":"{{new string('a', 70_000)}}","currency":"EUR"}""";

            using var response = await http.PostAsync(new Uri("/api/v1/accounts", UriKind.Relative),
                new StringContent(body, Encoding.UTF8, "application/json"));

            response.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
            response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json");
            (await response.Content.ReadAsStringAsync()).Should().Contain("\"type\":\"/problems/payload-too-large\"");
        }
    }

    [Fact]
    public async Task Production_NoConnectionString_ExitsNamingTheSetting_AndStartsNoEmbeddedServer()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"ledger-startup-{Guid.NewGuid():N}");
        await using var api = ApiProcess.Start(new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__Ledger"] = "",
            ["Kafka__BootstrapServers"] = "127.0.0.1:9",
            ["Postgres__DataDirectory"] = Path.Combine(folder, "data"),
        });

        (await api.WaitForExitAsync()).Should().Be(1);
        api.StandardError.Should().StartWith("Ledger cannot start: ConnectionStrings:Ledger")
            .And.Contain("Production environment").And.Contain("DOTNET_ENVIRONMENT=Development").And.Contain("Ledger:Embedded=true")
            .And.NotContain("Kafka:BootstrapServers");
        api.StandardError.Split(Environment.NewLine).Should().ContainSingle();
        Directory.Exists(folder).Should().BeFalse("no embedded PostgreSQL may be initialised outside Development");
    }

    [Fact]
    public async Task Production_NoKafkaWhileTheRelayRuns_ExitsNamingBootstrapServers()
    {
        await using var api = ApiProcess.Start(new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__Ledger"] = PostgresServer.CreateDatabase(),
            ["Kafka__BootstrapServers"] = "",
            ["Kafka__RelayEnabled"] = "true",
            ["Kafka__ConsumersEnabled"] = "false",
        });

        (await api.WaitForExitAsync()).Should().Be(1);
        api.StandardError.Should().StartWith("Ledger cannot start: Kafka:BootstrapServers").And.Contain("Kafka:RelayEnabled")
            .And.NotContain("ConnectionStrings:Ledger");
        api.StandardOutput.Should().NotContain("Embedded Kafka listening");
    }

    [Fact]
    public async Task Development_WithNothingConfigured_StartsEmbeddedPostgresAndKafka()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), $"ledger-quickstart-{Guid.NewGuid():N}");
        try
        {
            var (api, address) = await ApiProcess.StartAsync(new Dictionary<string, string?>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Development",
                ["ConnectionStrings__Ledger"] = "",
                ["Kafka__BootstrapServers"] = "",
                ["Postgres__DataDirectory"] = dataDirectory,
            });
            await using (api)
            {
                using var http = new HttpClient { BaseAddress = address }.As(Roles.Admin);
                var system = await http.GetFromJsonAsync<JsonElement>(new Uri("/api/v1/system", UriKind.Relative));

                system.GetProperty("postgresEmbedded").GetBoolean().Should().BeTrue();
                system.GetProperty("kafka").GetProperty("embedded").GetBoolean().Should().BeTrue();
                (await new Teller(http).OpenAccountAsync()).Should().NotBeEmpty("the schema was applied at start");
            }
        }
        finally
        {
            // The API is gone; adopt the server it may have left running and stop it, deleting the folder.
            EmbeddedPostgres.Start(new EmbeddedPostgresOptions { DataDirectory = dataDirectory, DeleteOnStop = true },
                NullLogger.Instance).Dispose();
        }
    }

    [Fact]
    public async Task InvalidKafkaSetting_ExitsNamingIt()
    {
        await using var api = ApiProcess.Start(new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__Ledger"] = PostgresServer.CreateDatabase(),
            ["Kafka__BootstrapServers"] = "127.0.0.1:9",
            ["Kafka__Partitions"] = "0",
            ["Kafka__RelayPageSize"] = "-1",
        });

        (await api.WaitForExitAsync()).Should().Be(1);
        api.StandardError.Should().StartWith("Ledger cannot start:").And.Contain("Kafka:Partitions must be at least 1")
            .And.Contain("Kafka:RelayPageSize must be at least 1");
    }
}
