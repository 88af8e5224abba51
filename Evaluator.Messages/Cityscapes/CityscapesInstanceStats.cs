using System.Collections.Immutable;

namespace Evaluator.Messages.Cityscapes;

/// <summary>
/// The instance statistics of cityscapesScripts' <c>evaluatePair</c> (<c>instanceStats</c>), summed over
/// images: per label id (34) and per category (in <see cref="CityscapesLabels.Categories"/> order),
/// the int64 true positive and false negative pixels of the instances, and the exact sums of their
/// weighted terms (tp × w, fn × w with w = avgClassSize / instance size, as the script computes
/// each term in double). Immutable; <see cref="Add"/> is exact and checked, so sums agree bit for
/// bit whatever the grouping of images (shards, partitions).
/// </summary>
public sealed record CityscapesInstanceStats(
    ImmutableArray<long> ClassTp, ImmutableArray<long> ClassFn,
    ImmutableArray<ExactSum> ClassTpWeighted, ImmutableArray<ExactSum> ClassFnWeighted,
    ImmutableArray<long> CategoryTp, ImmutableArray<long> CategoryFn,
    ImmutableArray<ExactSum> CategoryTpWeighted, ImmutableArray<ExactSum> CategoryFnWeighted)
{
    public static int NumCategories => CityscapesLabels.Categories.Length;

    public static CityscapesInstanceStats Zero { get; } = new(
        Longs(CityscapesLabels.NumIds), Longs(CityscapesLabels.NumIds),
        Sums(CityscapesLabels.NumIds), Sums(CityscapesLabels.NumIds),
        Longs(NumCategories), Longs(NumCategories), Sums(NumCategories), Sums(NumCategories));

    private static ImmutableArray<long> Longs(int n) => ImmutableArray.Create(new long[n]);

    private static ImmutableArray<ExactSum> Sums(int n) => [.. Enumerable.Repeat(ExactSum.Zero, n)];

    /// <summary>Checks the shape (what a reader of the wire form calls); throws <see cref="InvalidRunSpecException"/>.</summary>
    public CityscapesInstanceStats Validated()
    {
        int c = CityscapesLabels.NumIds, k = NumCategories;
        if (ClassTp.Length != c || ClassFn.Length != c || ClassTpWeighted.Length != c || ClassFnWeighted.Length != c
            || CategoryTp.Length != k || CategoryFn.Length != k || CategoryTpWeighted.Length != k || CategoryFnWeighted.Length != k)
            throw new InvalidRunSpecException($"Cityscapes instance statistics must hold {c} label ids and {k} categories");
        if (ClassTp.Any(v => v < 0) || ClassFn.Any(v => v < 0) || CategoryTp.Any(v => v < 0) || CategoryFn.Any(v => v < 0))
            throw new InvalidRunSpecException("Cityscapes instance statistics hold a negative count");
        return this;
    }

    /// <summary>The exact sum of both (checked: an overflow throws and changes nothing).</summary>
    public CityscapesInstanceStats Add(CityscapesInstanceStats o) => new(
        AddLongs(ClassTp, o.ClassTp), AddLongs(ClassFn, o.ClassFn),
        AddSums(ClassTpWeighted, o.ClassTpWeighted), AddSums(ClassFnWeighted, o.ClassFnWeighted),
        AddLongs(CategoryTp, o.CategoryTp), AddLongs(CategoryFn, o.CategoryFn),
        AddSums(CategoryTpWeighted, o.CategoryTpWeighted), AddSums(CategoryFnWeighted, o.CategoryFnWeighted));

    private static ImmutableArray<long> AddLongs(ImmutableArray<long> a, ImmutableArray<long> b) =>
        [.. a.Select((x, i) => checked(x + b[i]))];

    private static ImmutableArray<ExactSum> AddSums(ImmutableArray<ExactSum> a, ImmutableArray<ExactSum> b) =>
        [.. a.Select((x, i) => x.Add(b[i]))];

    public bool Equals(CityscapesInstanceStats? o) =>
        o is not null && ClassTp.SequenceEqual(o.ClassTp) && ClassFn.SequenceEqual(o.ClassFn)
        && ClassTpWeighted.SequenceEqual(o.ClassTpWeighted) && ClassFnWeighted.SequenceEqual(o.ClassFnWeighted)
        && CategoryTp.SequenceEqual(o.CategoryTp) && CategoryFn.SequenceEqual(o.CategoryFn)
        && CategoryTpWeighted.SequenceEqual(o.CategoryTpWeighted) && CategoryFnWeighted.SequenceEqual(o.CategoryFnWeighted);

    public override int GetHashCode() => HashCode.Combine(ClassTp.Sum(), ClassFn.Sum());
}

/// <summary>One instance of an image: its id and int64 counts (size, pixels predicted as its label, as its category).</summary>
public readonly record struct CityscapesInstance(int InstanceId, long Size, long Tp, long CategoryTp);
