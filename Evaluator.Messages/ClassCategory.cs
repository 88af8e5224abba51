using System.Collections.Immutable;

namespace Evaluator.Messages;

/// <summary>A named group of classes whose IoU is reported as one (Cityscapes' categories).</summary>
public sealed record ClassCategory(string Name, ImmutableArray<int> Classes)
{
    public bool Equals(ClassCategory? other) =>
        other is not null && Name == other.Name && Classes.SequenceEqual(other.Classes);

    public override int GetHashCode() => HashCode.Combine(Name, Classes.Length);

    /// <summary>The 7 Cityscapes categories over the 19 trainIds (cityscapesScripts labels.py).</summary>
    public static ImmutableArray<ClassCategory> Cityscapes { get; } =
    [
        new("flat", [0, 1]),
        new("construction", [2, 3, 4]),
        new("object", [5, 6, 7]),
        new("nature", [8, 9]),
        new("sky", [10]),
        new("human", [11, 12]),
        new("vehicle", [13, 14, 15, 16, 17, 18]),
    ];

    /// <summary>The 19 Cityscapes trainId class names, in trainId order.</summary>
    public static ImmutableArray<string> CityscapesClassNames { get; } =
    [
        "road", "sidewalk", "building", "wall", "fence", "pole", "traffic light", "traffic sign",
        "vegetation", "terrain", "sky", "person", "rider", "car", "truck", "bus", "train",
        "motorcycle", "bicycle",
    ];
}
