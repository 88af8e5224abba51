using System.Diagnostics;

namespace Evaluator.Node.Streams;

/// <summary>
/// Decode work done by this process's partition streams: pairs, pixels (ground truth and
/// prediction), and the summed time of the decoding calls, so that a user sees how much of a
/// run goes to reading and decoding files (reported by <c>evaluate</c>). Thread-safe.
/// </summary>
public static class DecodeStats
{
    private static long _pairs;
    private static long _mappedPairs;
    private static long _pixels;
    private static long _ticks;

    /// <param name="mapped">Both files were memory-mapped: their bytes are read later, by the counting.</param>
    public static void Add(long pixels, long elapsedTicks, bool mapped)
    {
        Interlocked.Increment(ref _pairs);
        if (mapped) Interlocked.Increment(ref _mappedPairs);
        Interlocked.Add(ref _pixels, pixels);
        Interlocked.Add(ref _ticks, elapsedTicks);
    }

    public static (long Pairs, long MappedPairs, long Pixels, TimeSpan Busy) Snapshot() =>
        (Interlocked.Read(ref _pairs), Interlocked.Read(ref _mappedPairs), Interlocked.Read(ref _pixels),
            TimeSpan.FromSeconds(Interlocked.Read(ref _ticks) / (double)Stopwatch.Frequency));
}
