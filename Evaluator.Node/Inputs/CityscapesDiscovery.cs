using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;

namespace Evaluator.Node.Inputs;

/// <summary>
/// The pairs of <c>--protocol cityscapes</c>, found as cityscapesScripts' <c>getPrediction</c> finds
/// them: every <c>*_gtFine_labelIds.png</c> under --gt (recursively), its <c>*_gtFine_instanceIds.png</c>
/// beside it, and the one prediction under --pred (recursively) whose file name matches
/// <c>&lt;city&gt;_&lt;seq&gt;_&lt;frame&gt;*.png</c>. None or several matches, or a missing instanceIds
/// file, are bad input naming the files (the script stops on them too).
/// </summary>
internal static partial class CityscapesDiscovery
{
    public const string GroundTruthSuffix = "_gtFine_labelIds.png";
    public const string InstanceSuffix = "_gtFine_instanceIds.png";

    // csHelpers.getCsFileInfo: <city>_<sequenceNb>_<frameNb>_<type>[_<type2>].<ext>
    [GeneratedRegex(@"^(?<key>[^_]+_[^_]+_[^_]+)_gtFine_labelIds\.png$")]
    private static partial Regex GroundTruthName();

    public static ImmutableArray<FilePair> Discover(string gtRoot, string predRoot)
    {
        if (!Directory.Exists(gtRoot)) throw new BadInputException(gtRoot, "--protocol cityscapes needs --gt to be a directory");
        if (!Directory.Exists(predRoot)) throw new BadInputException(predRoot, "--protocol cityscapes needs --pred to be a directory");
        var gts = Directory.EnumerateFiles(gtRoot, "*" + GroundTruthSuffix, SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal).ToList();
        if (gts.Count == 0)
            throw new BadInputException(gtRoot, $"no ground-truth files: --protocol cityscapes looks for *{GroundTruthSuffix} under it");
        // The prediction files by "<city>_<seq>_<frame>" prefix: fnmatch("<key>*.png") matches a name that
        // starts with the key and ends with .png.
        var preds = Directory.EnumerateFiles(predRoot, "*.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        var pairs = ImmutableArray.CreateBuilder<FilePair>(gts.Count);
        foreach (var gt in gts)
        {
            var m = GroundTruthName().Match(Path.GetFileName(gt));
            if (!m.Success)
                throw new BadInputException(gt, "not a Cityscapes file name: expected <city>_<sequence>_<frame>_gtFine_labelIds.png");
            var instances = gt[..^GroundTruthSuffix.Length] + InstanceSuffix;
            if (!File.Exists(instances))
                throw new BadInputException(instances, $"missing: the Cityscapes protocol needs the instanceIds file beside {gt}");
            var key = m.Groups["key"].Value;
            var found = preds.Where(p => Path.GetFileName(p).StartsWith(key, StringComparison.Ordinal)).ToList();
            if (found.Count == 0)
                throw new BadInputException(gt, $"found no prediction for this ground truth: no file under {predRoot} matches {key}*.png");
            if (found.Count > 1)
                throw new BadInputException(gt, $"found {found.Count} predictions for this ground truth, matching {key}*.png: {string.Join(", ", found)}");
            pairs.Add(new FilePair(gt, found[0]));
        }
        return pairs.MoveToImmutable();
    }
}
