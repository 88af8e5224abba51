using System.Globalization;

namespace Evaluator.Node.Runtime;

/// <summary>The process's peak memory.</summary>
internal static class PeakMemory
{
    /// <summary>
    /// The peak resident set size: VmHWM of /proc/self/status on Linux, else the runtime's peak
    /// working set.
    /// </summary>
    public static long Bytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
                var kb = line["VmHWM:".Length..].Trim();
                if (kb.EndsWith(" kB", StringComparison.Ordinal)
                    && long.TryParse(kb[..^3].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var v))
                    return v * 1024;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // no /proc (not Linux): fall through
        }
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }
}
