using System.Collections.Immutable;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;

namespace Evaluator.Node.Inputs;

/// <summary>How ground-truth and prediction files are matched by relative path.</summary>
public sealed record PairLayout(string GroundTruthSuffix, string PredictionSuffix)
{
    /// <summary>Same relative path and name on both sides.</summary>
    public static PairLayout Plain { get; } = new("", "");

    /// <summary>Cityscapes: <c>*_gtFine_labelTrainIds.png</c> ↔ <c>*_leftImg8bit.png</c>.</summary>
    public static PairLayout Cityscapes { get; } = new("_gtFine_labelTrainIds.png", "_leftImg8bit.png");
}

/// <summary>Finds the (ground truth, prediction) pairs of a run, sorted, and slices them into partitions.</summary>
public static class PairDiscovery
{
    public static ImmutableArray<FilePair> Discover(string gt, string pred, PairLayout layout)
    {
        if (File.Exists(gt))
        {
            if (Directory.Exists(pred)) throw new BadInputException(pred, "is a directory but --gt is a single file");
            return [new FilePair(Path.GetFullPath(gt), File.Exists(pred) ? Path.GetFullPath(pred) : "")];
        }
        if (!Directory.Exists(gt)) throw new BadInputException(gt, "no such file or directory");
        if (!Directory.Exists(pred)) throw new BadInputException(pred, "no such directory (--pred must be a directory when --gt is)");

        var gtRoot = Path.GetFullPath(gt);
        var predRoot = Path.GetFullPath(pred);
        var pairs = new List<FilePair>();
        foreach (var file in Directory.EnumerateFiles(gtRoot, "*", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(gtRoot, file);
            string stem;
            if (layout.GroundTruthSuffix.Length > 0)
            {
                if (!rel.EndsWith(layout.GroundTruthSuffix, StringComparison.Ordinal)) continue;
                stem = rel[..^layout.GroundTruthSuffix.Length];
            }
            else
            {
                if (!LabelFileReader.KnownExtensions.Contains(Path.GetExtension(rel).ToLowerInvariant())) continue;
                stem = rel;
            }
            var partner = Path.Combine(predRoot, stem + layout.PredictionSuffix);
            pairs.Add(new FilePair(file, File.Exists(partner) ? partner : ""));
        }
        if (pairs.Count == 0)
        {
            var what = layout.GroundTruthSuffix.Length > 0 ? $"*{layout.GroundTruthSuffix}" : "*.png, *.npy, *.raw or *.bin";
            throw new BadInputException(gt, $"no ground-truth files ({what}) found");
        }
        return [.. pairs.OrderBy(p => p.GroundTruth, StringComparer.Ordinal)];
    }

    /// <summary>Deterministic contiguous slices of the sorted pairs, numbered 0..n-1.</summary>
    public static ImmutableArray<PartitionAssignment> Partition(ImmutableArray<FilePair> pairs, int partitions,
        int batchPixels, RawLayout? raw)
    {
        var n = Math.Max(1, Math.Min(partitions, pairs.Length));
        return [.. Enumerable.Range(0, n).Select(i =>
        {
            var from = (int)((long)pairs.Length * i / n);
            var to = (int)((long)pairs.Length * (i + 1) / n);
            return new PartitionAssignment(i, pairs[from..to], batchPixels, raw);
        })];
    }

    /// <summary>Pixels of all ground-truth files from their headers (for progress and ETA).</summary>
    public static long ExpectedPixels(ImmutableArray<FilePair> pairs, RawLayout? raw)
    {
        long total = 0;
        Parallel.ForEach(pairs, p =>
        {
            if (LabelFileReader.PixelCount(p.GroundTruth, raw) is { } n) Interlocked.Add(ref total, n);
        });
        return total;
    }
}
