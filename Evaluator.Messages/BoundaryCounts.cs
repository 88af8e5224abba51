using System.Collections.Immutable;

namespace Evaluator.Messages;

/// <summary>
/// Boundary IoU sums (Cheng et al., CVPR 2021), per class: the exact int64 intersection and
/// union of the ground-truth and prediction boundary regions over the pixels counted so far.
/// Immutable; <see cref="Add"/> is checked (an overflow throws and changes nothing).
/// </summary>
public sealed record BoundaryCounts(ImmutableArray<long> Intersection, ImmutableArray<long> Union)
{
    public static BoundaryCounts Zero(int numClasses) =>
        new(ImmutableArray.Create(new long[numClasses]), ImmutableArray.Create(new long[numClasses]));

    public int NumClasses => Intersection.Length;

    /// <summary>The class's boundary IoU; null when its union is 0.</summary>
    public double? Iou(int c) => Union[c] == 0 ? null : (double)Intersection[c] / Union[c];

    /// <summary>The exact sum of both, or an <see cref="OverflowException"/>.</summary>
    public BoundaryCounts Add(BoundaryCounts other)
    {
        if (other.NumClasses != NumClasses)
            throw new InvalidRunSpecException($"boundary counts of {other.NumClasses} classes added to {NumClasses}");
        var inter = new long[NumClasses];
        var union = new long[NumClasses];
        for (var c = 0; c < NumClasses; c++)
        {
            inter[c] = checked(Intersection[c] + other.Intersection[c]);
            union[c] = checked(Union[c] + other.Union[c]);
        }
        return new BoundaryCounts(ImmutableArray.Create(inter), ImmutableArray.Create(union));
    }

    public bool Equals(BoundaryCounts? o) =>
        o is not null && Intersection.SequenceEqual(o.Intersection) && Union.SequenceEqual(o.Union);

    public override int GetHashCode() => HashCode.Combine(NumClasses, Union.IsEmpty ? 0 : Union[0]);
}
