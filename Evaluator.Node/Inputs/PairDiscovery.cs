using System.Collections.Immutable;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;

namespace Evaluator.Node.Inputs;

/// <summary>
/// How ground-truth and prediction files are matched by relative path: a ground-truth file whose
/// relative path ends with <see cref="GroundTruthSuffix"/> (and, when <see cref="GroundTruthUnder"/>
/// is set, that has a directory of that name on its path) pairs with the prediction at the same
/// relative stem plus <see cref="PredictionSuffix"/>; with <see cref="FlatPredictions"/>, else with
/// the prediction of that file name directly in the prediction directory.
/// </summary>
internal sealed record PairLayout(string GroundTruthSuffix, string PredictionSuffix, string? GroundTruthUnder = null,
    bool FlatPredictions = false)
{
    /// <summary>Same relative path and name on both sides.</summary>
    public static PairLayout Plain { get; } = new("", "");

    /// <summary>Cityscapes: <c>*_gtFine_labelTrainIds.png</c> ↔ <c>*_leftImg8bit.png</c>.</summary>
    public static PairLayout Cityscapes { get; } = new("_gtFine_labelTrainIds.png", "_leftImg8bit.png");

    /// <summary>
    /// ADE20K (ADEChallengeData2016): <c>annotations/…/NAME.png</c> ↔ the prediction <c>NAME.png</c> named
    /// after the image <c>images/…/NAME.jpg</c>, at the same relative path or directly in the prediction directory.
    /// </summary>
    public static PairLayout Ade20k { get; } = new(".png", ".png", "annotations", FlatPredictions: true);

    /// <summary>PASCAL VOC: <c>SegmentationClass/NAME.png</c> ↔ <c>NAME.png</c> (same relative path or flat).</summary>
    public static PairLayout Voc { get; } = new(".png", ".png", "SegmentationClass", FlatPredictions: true);

    /// <summary>The layouts --layout names (auto picks among them).</summary>
    public static IReadOnlyList<(string Name, PairLayout Layout)> Presets { get; } =
        [("plain", Plain), ("cityscapes", Cityscapes), ("ade20k", Ade20k), ("voc", Voc)];

    /// <summary>The stem of a ground-truth file of this layout (relative path less the suffix), or null if it is none.</summary>
    public string? Stem(string gtRoot, string rel)
    {
        if (GroundTruthUnder is { } under)
        {
            var parts = Path.Combine(gtRoot, rel).Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
            if (!parts[..^1].Contains(under, StringComparer.Ordinal)) return null;
        }
        if (GroundTruthSuffix.Length > 0)
            return rel.EndsWith(GroundTruthSuffix, StringComparison.Ordinal) && rel.Length > GroundTruthSuffix.Length
                ? rel[..^GroundTruthSuffix.Length]
                : null;
        return LabelFileReader.KnownExtensions.Contains(Path.GetExtension(rel).ToLowerInvariant()) ? rel : null;
    }

    /// <summary>Where the partner of <paramref name="stem"/> may be, relative to the prediction directory, first first.</summary>
    public IEnumerable<string> PartnerPaths(string stem)
    {
        yield return stem + PredictionSuffix;
        if (FlatPredictions && Path.GetFileName(stem) != stem) yield return Path.GetFileName(stem) + PredictionSuffix;
    }
}

/// <summary>Finds the (ground truth, prediction) pairs of a run, sorted, and slices them into partitions.</summary>
internal static class PairDiscovery
{
    /// <summary>
    /// The pairs under <paramref name="gt"/> and <paramref name="pred"/>, sorted by ground-truth path.
    /// Directory links are followed, but no physical directory is walked twice (a link loop such as
    /// <c>gt/loop -> gt</c> adds nothing). Files that are not regular (FIFOs, devices, sockets) are
    /// refused, and so are two names of one physical file (hard or symbolic links) unless
    /// <paramref name="allowDuplicateFiles"/>: that image would be counted once per name.
    /// </summary>
    public static ImmutableArray<FilePair> Discover(string gt, string pred, PairLayout layout, bool allowDuplicateFiles = false)
    {
        if (File.Exists(gt))
        {
            if (Directory.Exists(pred)) throw new BadInputException(pred, "is a directory but --gt is a single file");
            RequireRegular(gt);
            if (File.Exists(pred)) RequireRegular(pred);
            return [new FilePair(Path.GetFullPath(gt), File.Exists(pred) ? Path.GetFullPath(pred) : "")];
        }
        if (!Directory.Exists(gt)) throw new BadInputException(gt, "no such file or directory");
        if (!Directory.Exists(pred)) throw new BadInputException(pred, "no such directory (--pred must be a directory when --gt is)");

        var gtRoot = Path.GetFullPath(gt);
        var predRoot = Path.GetFullPath(pred);
        var pairs = new List<FilePair>();
        foreach (var file in WalkFiles(gtRoot))
        {
            var rel = Path.GetRelativePath(gtRoot, file);
            if (layout.Stem(gtRoot, rel) is not { } stem) continue;
            RequireRegular(file);
            var partner = layout.PartnerPaths(stem).Select(p => Path.Combine(predRoot, p)).FirstOrDefault(File.Exists);
            if (partner is not null) RequireRegular(partner);
            pairs.Add(new FilePair(file, partner ?? ""));
        }
        if (pairs.Count == 0)
        {
            var what = layout.GroundTruthSuffix.Length > 0 ? $"*{layout.GroundTruthSuffix}" : "*.png, *.npy, *.raw or *.bin";
            if (layout.GroundTruthUnder is { } under) what += $" under a {under} directory";
            throw new BadInputException(gt, $"no ground-truth files ({what}) found");
        }
        var sorted = pairs.OrderBy(p => p.GroundTruth, StringComparer.Ordinal).ToImmutableArray();
        if (!allowDuplicateFiles)
        {
            RefuseDuplicates(sorted.Select(p => p.GroundTruth), "ground-truth");
            RefuseDuplicates(sorted.Select(p => p.Prediction).Where(p => p.Length > 0), "prediction");
        }
        return sorted;
    }

    /// <summary>Every file below <paramref name="root"/>, visiting each physical directory once.</summary>
    public static IEnumerable<string> WalkFiles(string root)
    {
        var seen = new HashSet<FileIdentity>();
        var pending = new Stack<string>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var dir = pending.Pop();
            if (FileIdentity.Of(dir) is not { Kind: FileKind.Directory } id || !seen.Add(id)) continue;
            foreach (var file in Directory.EnumerateFiles(dir)) yield return file;
            foreach (var sub in Directory.EnumerateDirectories(dir)) pending.Push(sub);
        }
    }

    private static void RequireRegular(string path)
    {
        if (FileIdentity.Of(path) is { Kind: not FileKind.Regular })
            throw new BadInputException(path, "is not a regular file (a FIFO, device or socket cannot be evaluated)");
    }

    private static void RefuseDuplicates(IEnumerable<string> files, string side)
    {
        var first = new Dictionary<FileIdentity, string>();
        foreach (var file in files)
        {
            if (FileIdentity.Of(file) is not { } id) continue;
            if (first.TryAdd(id, file)) continue;
            throw new BadInputException(file,
                $"is the same physical {side} file as '{first[id]}' (a hard or symbolic link): it would be counted " +
                "once per name; remove the duplicate, or pass --allow-duplicate-files to count it under each name");
        }
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
