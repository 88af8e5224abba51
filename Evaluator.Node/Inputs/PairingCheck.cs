namespace Evaluator.Node.Inputs;

/// <summary>
/// Checks, before a run starts, that the ground-truth and prediction directories pair up under the
/// chosen layout, and when nothing or little does, says what each side holds and which layout (or
/// suffixes) would pair them. Also picks the layout for <c>--layout auto</c>.
/// </summary>
internal static class PairingCheck
{
    /// <summary>A way to pair the two directories, the options that ask for it, and how many it pairs.</summary>
    public sealed record Candidate(string Options, PairLayout Layout, int Pairs, int GroundTruthFiles);

    private const int Examples = 3;

    /// <summary>Whether <paramref name="missing"/> of <paramref name="total"/> ground-truth files without a partner is too many to start.</summary>
    public static bool TooFewPairs(int total, int missing) => total == 0 || missing * 2 > total;

    /// <summary>
    /// The layout that pairs the most ground-truth files (the first of the presets on a tie), or
    /// null when no preset pairs any.
    /// </summary>
    public static Candidate? Auto(string gtRoot, string predRoot)
    {
        gtRoot = Path.GetFullPath(gtRoot);
        var (gt, pred) = List(gtRoot, predRoot);
        return Presets().Select(p => Count(p.Options, p.Layout, gtRoot, gt, pred))
            .Where(c => c.Pairs > 0).MaxBy(c => c.Pairs);
    }

    /// <summary>
    /// Why <paramref name="layout"/> (asked for with <paramref name="options"/>) pairs too little
    /// of the two directories: what each side holds, and the layout or suffixes that pair more.
    /// </summary>
    public static string Explain(string gtRoot, string predRoot, string options, PairLayout layout)
    {
        gtRoot = Path.GetFullPath(gtRoot);
        predRoot = Path.GetFullPath(predRoot);
        var (gt, pred) = List(gtRoot, predRoot);
        var current = Count(options, layout, gtRoot, gt, pred);
        var lines = new List<string>
        {
            current.GroundTruthFiles == 0
                ? $"no ground-truth files of {options} found, so nothing pairs up; nothing was started:"
                : $"only {current.Pairs} of {current.GroundTruthFiles} ground-truth files have a prediction with {options}; nothing was started:",
            $"  ground truth (--gt {gtRoot}): {gt.Count} files{ExampleList(gt)}",
            $"  predictions (--pred {predRoot}): {pred.Count} files{ExampleList(pred)}",
        };
        var predSet = pred.ToHashSet(StringComparer.Ordinal);
        var better = Presets().Concat(InferredSuffixes(gt, pred))
            .Select(c => Count(c.Options, c.Layout, gtRoot, gt, predSet))
            .Where(c => c.Pairs > current.Pairs)
            .OrderByDescending(c => c.Pairs).FirstOrDefault();
        lines.Add(better is null
            ? "  no layout pairs more of them: check --gt and --pred, or name the file suffixes with --gt-suffix and --pred-suffix"
            : $"  {better.Options} pairs {better.Pairs} of {better.GroundTruthFiles}: rerun with {better.Options}" +
              (Presets().Any(p => p.Options == better.Options) ? " (or --layout auto)" : ""));
        return string.Join(Environment.NewLine, lines);
    }

    private static string ExampleList(IReadOnlyList<string> files) =>
        files.Count == 0 ? "" : ", e.g. " + string.Join(", ", files.Take(Examples)) + (files.Count > Examples ? ", …" : "");

    private static IEnumerable<(string Options, PairLayout Layout)> Presets()
    {
        foreach (var (name, layout) in PairLayout.Presets) yield return ($"--layout {name}", layout);
        // The Cityscapes ground truth as label ids (the 34 raw ids) rather than train ids.
        yield return ("--layout cityscapes --gt-suffix _gtFine_labelIds.png",
            PairLayout.Cityscapes with { GroundTruthSuffix = "_gtFine_labelIds.png" });
    }

    /// <summary>
    /// Suffix pairs read off the names: for a few ground-truth files, the prediction name sharing the
    /// longest prefix with it, the rest of each name (from a separator where there is one) being the suffixes.
    /// </summary>
    private static IEnumerable<(string Options, PairLayout Layout)> InferredSuffixes(IReadOnlyList<string> gt,
        IReadOnlyList<string> pred)
    {
        if (gt.Count == 0 || pred.Count == 0) yield break;
        var predNames = pred.Select(Path.GetFileName).Distinct(StringComparer.Ordinal).ToArray();
        var seen = new HashSet<(string, string)>();
        for (var i = 0; i < Math.Min(8, gt.Count); i++)
        {
            var g = Path.GetFileName(gt[i * gt.Count / Math.Min(8, gt.Count)]);
            var (best, lcp) = ("", 0);
            foreach (var p in predNames)
            {
                var n = 0;
                while (n < g.Length && n < p!.Length && g[n] == p[n]) n++;
                if (n > lcp) (best, lcp) = (p!, n);
            }
            if (lcp == 0) continue;
            var cut = lcp;
            while (cut > 1 && g[cut - 1] is not ('_' or '-' or '.')) cut--;
            if (cut > 1) cut--;
            else cut = lcp;
            var (gs, ps) = (g[cut..], best[cut..]);
            if (gs.Length == 0 || ps.Length == 0 || gs == ps || !seen.Add((gs, ps))) continue;
            yield return ($"--gt-suffix {gs} --pred-suffix {ps}", new PairLayout(gs, ps));
        }
    }

    private static Candidate Count(string options, PairLayout layout, string gtRoot, IReadOnlyList<string> gt,
        IReadOnlyCollection<string> pred)
    {
        var set = pred as HashSet<string> ?? pred.ToHashSet(StringComparer.Ordinal);
        int files = 0, pairs = 0;
        foreach (var rel in gt)
        {
            if (layout.Stem(gtRoot, rel) is not { } stem) continue;
            files++;
            if (layout.PartnerPaths(stem).Any(set.Contains)) pairs++;
        }
        return new Candidate(options, layout, pairs, files);
    }

    private static (IReadOnlyList<string> Gt, IReadOnlyList<string> Pred) List(string gtRoot, string predRoot)
    {
        gtRoot = Path.GetFullPath(gtRoot);
        predRoot = Path.GetFullPath(predRoot);
        return (Relative(gtRoot), Relative(predRoot));

        static List<string> Relative(string root) =>
            [.. PairDiscovery.WalkFiles(root).Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal)];
    }
}
