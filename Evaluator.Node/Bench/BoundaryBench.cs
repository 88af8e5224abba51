using System.Diagnostics;
using Evaluator.Messages;
using Evaluator.Node.Inputs;
using Evaluator.Node.Kernel;

namespace Evaluator.Node.Bench;

/// <summary>One pass's timings of <see cref="BoundaryBench"/>: seconds spent decoding the pairs and counting their boundaries.</summary>
internal readonly record struct BoundaryTimes(double Decode, double Boundary, long Pixels);

/// <summary>
/// The boundary IoU kernel's cost next to the decoding of the same pairs (issue #13 item 5: it
/// must not cost more than the PNG decoding): one thread reads each pair (as a shard does) and
/// counts its boundaries, timing both parts.
/// </summary>
internal static class BoundaryBench
{
    public static BoundaryTimes Pass(IReadOnlyList<Messages.Protocol.FilePair> pairs, BoundaryCounter counter)
    {
        double decode = 0, boundary = 0;
        long pixels = 0;
        var sw = new Stopwatch();
        foreach (var pair in pairs)
        {
            sw.Restart();
            var (gt, pred) = LabelFileReader.ReadPair(pair, null, memoryMap: false);
            decode += sw.Elapsed.TotalSeconds;
            sw.Restart();
            counter.Count(gt, pred, pair.GroundTruth);
            boundary += sw.Elapsed.TotalSeconds;
            pixels += gt.Length;
            gt.Dispose();
            pred.Dispose();
        }
        return new BoundaryTimes(decode, boundary, pixels);
    }

    public static BoundaryCounter Counter(int classes, double dilation) => new(new RunSpec(classes, ignoreLabels: [255]), dilation);
}
