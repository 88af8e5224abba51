using System.Diagnostics;
using Akka.Actor;

namespace Evaluator.Node.Streams;

/// <summary>
/// Decode work done by one ActorSystem's partition streams: pairs, pixels (ground truth and
/// prediction), and the summed time of the decoding calls, so that a user sees how much of a
/// run goes to reading and decoding files (reported by <c>evaluate</c>). An Akka extension:
/// one per ActorSystem (<see cref="Get"/>). Thread-safe.
/// </summary>
internal sealed class DecodeStats : IExtension
{
    private long _pairs;
    private long _mappedPairs;
    private long _pixels;
    private long _ticks;

    public static DecodeStats Get(ActorSystem system) => system.WithExtension<DecodeStats, DecodeStatsProvider>();

    /// <param name="mapped">Both files were memory-mapped: their bytes are read later, by the counting.</param>
    public void Add(long pixels, long elapsedTicks, bool mapped)
    {
        Interlocked.Increment(ref _pairs);
        if (mapped) Interlocked.Increment(ref _mappedPairs);
        Interlocked.Add(ref _pixels, pixels);
        Interlocked.Add(ref _ticks, elapsedTicks);
    }

    public (long Pairs, long MappedPairs, long Pixels, TimeSpan Busy) Snapshot() =>
        (Interlocked.Read(ref _pairs), Interlocked.Read(ref _mappedPairs), Interlocked.Read(ref _pixels),
            TimeSpan.FromSeconds(Interlocked.Read(ref _ticks) / (double)Stopwatch.Frequency));
}

/// <summary>Creates the <see cref="DecodeStats"/> of an ActorSystem.</summary>
internal sealed class DecodeStatsProvider : ExtensionIdProvider<DecodeStats>
{
    public override DecodeStats CreateExtension(ExtendedActorSystem system) => new();
}
