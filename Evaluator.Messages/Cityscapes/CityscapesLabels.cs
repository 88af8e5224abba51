using System.Collections.Immutable;

namespace Evaluator.Messages.Cityscapes;

/// <summary>One row of the official Cityscapes label table.</summary>
public sealed record CityscapesLabel(string Name, int Id, int TrainId, string Category, int CategoryId, bool HasInstances,
    bool IgnoreInEval);

/// <summary>
/// The official Cityscapes label table and the evaluation constants, copied verbatim from
/// mcordts/cityscapesScripts at commit 0bcc4a72549590fd80d71d8465be3a0c4b1c06e8:
/// <c>cityscapesscripts/helpers/labels.py</c> (<c>labels</c>, ids 0–33 and −1) and
/// <c>cityscapesscripts/evaluation/evalPixelLevelSemanticLabeling.py</c> (<c>args.avgClassSize</c>).
/// The order of <see cref="Labels"/> and <see cref="Categories"/> is the script's (its dicts keep
/// insertion order, and its averages add in that order).
/// </summary>
public static class CityscapesLabels
{
    /// <summary>The script's confusion matrix is (max id + 1)² over labelIds 0..33.</summary>
    public const int NumIds = 34;

    /// <summary>Instance ids above this are instances: label id = instance id / 1000 (the script's <c>instanceNp > 1000</c>).</summary>
    public const int InstanceIdThreshold = 1000;

    public const int InstanceIdDivisor = 1000;

    public static ImmutableArray<CityscapesLabel> Labels { get; } =
    [
        new("unlabeled", 0, 255, "void", 0, false, true),
        new("ego vehicle", 1, 255, "void", 0, false, true),
        new("rectification border", 2, 255, "void", 0, false, true),
        new("out of roi", 3, 255, "void", 0, false, true),
        new("static", 4, 255, "void", 0, false, true),
        new("dynamic", 5, 255, "void", 0, false, true),
        new("ground", 6, 255, "void", 0, false, true),
        new("road", 7, 0, "flat", 1, false, false),
        new("sidewalk", 8, 1, "flat", 1, false, false),
        new("parking", 9, 255, "flat", 1, false, true),
        new("rail track", 10, 255, "flat", 1, false, true),
        new("building", 11, 2, "construction", 2, false, false),
        new("wall", 12, 3, "construction", 2, false, false),
        new("fence", 13, 4, "construction", 2, false, false),
        new("guard rail", 14, 255, "construction", 2, false, true),
        new("bridge", 15, 255, "construction", 2, false, true),
        new("tunnel", 16, 255, "construction", 2, false, true),
        new("pole", 17, 5, "object", 3, false, false),
        new("polegroup", 18, 255, "object", 3, false, true),
        new("traffic light", 19, 6, "object", 3, false, false),
        new("traffic sign", 20, 7, "object", 3, false, false),
        new("vegetation", 21, 8, "nature", 4, false, false),
        new("terrain", 22, 9, "nature", 4, false, false),
        new("sky", 23, 10, "sky", 5, false, false),
        new("person", 24, 11, "human", 6, true, false),
        new("rider", 25, 12, "human", 6, true, false),
        new("car", 26, 13, "vehicle", 7, true, false),
        new("truck", 27, 14, "vehicle", 7, true, false),
        new("bus", 28, 15, "vehicle", 7, true, false),
        new("caravan", 29, 255, "vehicle", 7, true, true),
        new("trailer", 30, 255, "vehicle", 7, true, true),
        new("train", 31, 16, "vehicle", 7, true, false),
        new("motorcycle", 32, 17, "vehicle", 7, true, false),
        new("bicycle", 33, 18, "vehicle", 7, true, false),
        new("license plate", -1, -1, "vehicle", 7, false, true),
    ];

    /// <summary>The script's <c>args.avgClassSize</c>, verbatim (the iIoU weight is avgClassSize / instance size).</summary>
    public static ImmutableDictionary<string, double> AvgClassSize { get; } = new Dictionary<string, double>
    {
        ["bicycle"] = 4672.3249222261,
        ["caravan"] = 36771.8241758242,
        ["motorcycle"] = 6298.7200839748,
        ["rider"] = 3930.4788056518,
        ["bus"] = 35732.1511111111,
        ["train"] = 67583.7075812274,
        ["car"] = 12794.0202738185,
        ["person"] = 3462.4756337644,
        ["truck"] = 27855.1264367816,
        ["trailer"] = 16926.9763313609,
    }.ToImmutableDictionary();

    /// <summary>The label of each id 0..33 (index = id).</summary>
    public static ImmutableArray<CityscapesLabel> ById { get; } = [.. Labels.Where(l => l.Id >= 0).OrderBy(l => l.Id)];

    /// <summary>The script's <c>category2labels</c> keys, in insertion order.</summary>
    public static ImmutableArray<string> Categories { get; } = [.. Labels.Select(l => l.Category).Distinct()];

    /// <summary>The 34 class names in id order (the run's class names).</summary>
    public static ImmutableArray<string> ClassNames { get; } = [.. ById.Select(l => l.Name)];

    /// <summary>
    /// <c>generateInstanceStats</c>' categories: those whose every label with an id ≥ 0 has
    /// instances (human, vehicle), with those labels' ids, ignoreInEval ones included (caravan,
    /// trailer); null for the others.
    /// </summary>
    public static ImmutableArray<ImmutableArray<int>?> InstanceCategoryIds { get; } =
    [
        .. Categories.Select(cat =>
        {
            var ids = Labels.Where(l => l.Category == cat && l.Id >= 0).ToList();
            return ids.All(l => l.HasInstances) ? ImmutableArray.CreateRange(ids.Select(l => l.Id)) : (ImmutableArray<int>?)null;
        }),
    ];

    /// <summary>Index of <paramref name="category"/> in <see cref="Categories"/>.</summary>
    public static int CategoryIndex(string category) => Categories.IndexOf(category);

    /// <summary>The run spec of the protocol: 34 labelIds, none ignored at counting (the scores ignore rows), unknown ids are errors.</summary>
    public static RunSpec Spec() => new(NumIds, ClassNames, outOfRange: OutOfRangePolicy.Error);

    /// <summary>
    /// The message of a label outside the 34 labelIds under the protocol, which refuses --ignore and
    /// --out-of-range (the generic message suggests them): the pair (its ground-truth file), the
    /// side's file and the label, and what the protocol accepts.
    /// </summary>
    public static string OutOfRange(LabelOutOfRangeException e, string groundTruth, string prediction)
    {
        var (side, file) = e.Side == LabelSide.Prediction ? ("prediction", prediction) : ("ground-truth", groundTruth);
        return $"{groundTruth}: {side} label {e.Value} at pixel {e.Index} of {file} is not a Cityscapes labelId: " +
               $"--protocol cityscapes accepts labelIds 0–{NumIds - 1} only, as cityscapesScripts does " +
               "(predictions in trainIds must be mapped to labelIds first)";
    }
}
