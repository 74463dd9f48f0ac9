using System.Diagnostics;
using System.Globalization;
using Ledger.Development.Postgres;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ledger.Api.Tests;

/// <summary>
/// Throwaway clusters left behind by processes that ended before deleting them are deleted by the next start; a cluster
/// whose owner still runs is not, whoever the owner is.
/// </summary>
public sealed class AbandonedClusterTests
{
    [Fact]
    public async Task DeleteAbandoned_DeletesFoldersOfEndedOwners_AndKeepsThoseOfLiveOnesAndOthers()
    {
        var parent = Directory.CreateTempSubdirectory("ledger-sweep-").FullName;
        using var live = Process.Start(new ProcessStartInfo("sleep", "60"))!;
        try
        {
            using var ended = Process.Start(new ProcessStartInfo("true"))!;
            await ended.WaitForExitAsync();
            var abandoned = Cluster(parent, "cluster-abandoned", ended.Id);
            var ownedByALiveProcess = Cluster(parent, "cluster-live", live.Id);
            var ownedByThisProcess = Cluster(parent, "cluster-mine", Environment.ProcessId);
            var unrelated = Directory.CreateDirectory(Path.Combine(parent, "other-folder")).FullName;

            EmbeddedPostgres.DeleteAbandoned(parent, "cluster-", NullLogger.Instance);

            Directory.Exists(abandoned).Should().BeFalse();
            File.Exists(abandoned + ".owner").Should().BeFalse();
            Directory.Exists(ownedByALiveProcess).Should().BeTrue();
            Directory.Exists(ownedByThisProcess).Should().BeTrue();
            Directory.Exists(unrelated).Should().BeTrue();
        }
        finally
        {
            live.Kill();
            Directory.Delete(parent, recursive: true);
        }
    }

    [Fact]
    public async Task AClusterBeingCreated_IsNeverTakenForAbandoned_ByASweepRunningMeanwhile()
    {
        // Readable by the postgres user, which initdb runs as when the tests run as root.
        var parent = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"ledger-sweep-{Guid.NewGuid():N}")).FullName;
        using var stop = new CancellationTokenSource();
        // Another test process starting at the same moment sweeps the same parent, again and again.
        var sweeper = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                EmbeddedPostgres.DeleteAbandoned(parent, "cluster-", NullLogger.Instance);
            }
        });
        try
        {
            using var server = EmbeddedPostgres.Start(new EmbeddedPostgresOptions
            {
                DataDirectory = Path.Combine(parent, "cluster-starting"), DeleteOnStop = true, Database = "sweep",
            }, NullLogger.Instance);

            (await Ledger.Testing.Sql.ScalarAsync<int>(server.ConnectionString, "select 1")).Should().Be(1);
        }
        finally
        {
            await stop.CancelAsync();
            await sweeper;
            Directory.Delete(parent, recursive: true);
        }
    }

    [Fact]
    public async Task AServerFoundRunningThatStopsBeforeServing_IsStartedAgainInsteadOfFailingTheStart()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"ledger-adopt-{Guid.NewGuid():N}");
        try
        {
            // A cluster that exists and is stopped.
            EmbeddedPostgres.Start(new EmbeddedPostgresOptions { DataDirectory = folder, Database = "adopt" }, NullLogger.Instance).Dispose();

            // What a starter that was just killed leaves: postmaster.pid names a live process of the postgres user, on a port
            // where nothing listens, and that process ends a moment later.
            using var stopping = Process.Start(new ProcessStartInfo("setpriv",
                ["--reuid=postgres", "--regid=postgres", "--clear-groups", "sleep", "2"]))!;
            var deadPort = FreeLoopbackPort();
            File.WriteAllLines(Path.Combine(folder, "postmaster.pid"),
                [stopping.Id.ToString(CultureInfo.InvariantCulture), folder, "0", deadPort.ToString(CultureInfo.InvariantCulture), "/tmp", "127.0.0.1"]);

            using var server = EmbeddedPostgres.Start(new EmbeddedPostgresOptions { DataDirectory = folder, Database = "adopt", DeleteOnStop = true },
                NullLogger.Instance);

            server.Port.Should().NotBe(deadPort);
            (await Ledger.Testing.Sql.ScalarAsync<int>(server.ConnectionString, "select 1")).Should().Be(1);
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }

            File.Delete(folder + ".owner");
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Cluster(string parent, string name, int owner)
    {
        var folder = Directory.CreateDirectory(Path.Combine(parent, name)).FullName;
        File.WriteAllText(Path.Combine(folder, "PG_VERSION"), "15");
        File.WriteAllText(folder + ".owner", owner.ToString(CultureInfo.InvariantCulture));
        return folder;
    }
}
