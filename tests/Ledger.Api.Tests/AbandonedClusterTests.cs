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

    private static string Cluster(string parent, string name, int owner)
    {
        var folder = Directory.CreateDirectory(Path.Combine(parent, name)).FullName;
        File.WriteAllText(Path.Combine(folder, "PG_VERSION"), "15");
        File.WriteAllText(folder + ".owner", owner.ToString(CultureInfo.InvariantCulture));
        return folder;
    }
}
