using System.Globalization;
using System.Runtime.InteropServices;

namespace Ledger.Bench.Compare;

/// <summary>The machine and the software a run measured, as far as the bench can see them.</summary>
/// <param name="LoadAverageAtStart">The 1, 5 and 15 minute load averages as the run began, and at its end: other work on the machine shows here.</param>
internal sealed record MachineInfo(int Cores, double MemoryGiB, string Cpu, string OperatingSystem, string Runtime, string LoadAverageAtStart,
    string LoadAverageAtEnd)
{
    public static MachineInfo Read(string loadAverageAtStart) => new(Environment.ProcessorCount, TotalMemoryGiB(), CpuModel(),
        RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription, loadAverageAtStart, LoadAverage());

    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static double TotalMemoryGiB()
    {
        // MemTotal is in kB; without /proc, the runtime's view (which a container limit may lower) stands in.
        var line = File.Exists("/proc/meminfo") ? File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)) : null;
        var kilobytes = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, var value, ..] &&
                        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1024;
        return Math.Round(kilobytes / (1024.0 * 1024.0), 1);
    }

    private static string CpuModel()
    {
        var line = File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) : null;
        return line?.Split(':', 2) is [_, var model] ? model.Trim() : RuntimeInformation.ProcessArchitecture.ToString();
    }
}

/// <summary>Versions of what ran: the server, pgbench, librdkafka, and the API's build configuration.</summary>
internal sealed record SoftwareVersions(string PostgreSql, string PgBench, string Librdkafka, string ApiConfiguration, string ApiHost);
