using System.Collections.Immutable;

namespace Evaluator.Messages;

/// <summary>
/// Everything that decides how pixels are counted and how metrics are computed: the number
/// of classes and their names, ignore labels, label map, out-of-range policy, an optional
/// subset of target classes and optional categories. Validated on construction; immutable;
/// value equality.
/// </summary>
public sealed class RunSpec : IEquatable<RunSpec>
{
    public const int MinClasses = 1;
    public const int MaxClasses = 4096;

    public RunSpec(
        int numClasses,
        IEnumerable<string>? classNames = null,
        IEnumerable<long>? ignoreLabels = null,
        LabelMap? labelMap = null,
        bool mapPredictions = false,
        OutOfRangePolicy outOfRange = OutOfRangePolicy.Error,
        IEnumerable<int>? targetClasses = null,
        IEnumerable<ClassCategory>? categories = null,
        double beta = 1.0)
    {
        if (numClasses is < MinClasses or > MaxClasses)
            throw new InvalidRunSpecException(
                $"number of classes is {numClasses}: it must be between {MinClasses} and {MaxClasses}");
        NumClasses = numClasses;

        var names = classNames?.ToImmutableArray() ?? [];
        if (names.IsEmpty)
            names = Enumerable.Range(0, numClasses).Select(DefaultClassName).ToImmutableArray();
        else if (names.Length != numClasses)
            throw new InvalidRunSpecException($"{names.Length} class names given for {numClasses} classes");
        if (names.Any(string.IsNullOrWhiteSpace))
            throw new InvalidRunSpecException("a class name is empty");
        ClassNames = names;

        IgnoreLabels = ignoreLabels?.ToImmutableSortedSet() ?? [];
        LabelMap = labelMap;
        MapPredictions = mapPredictions && labelMap is not null;
        if (labelMap is not null && labelMap.MaxTarget >= numClasses)
            throw new InvalidRunSpecException(
                $"label map '{labelMap.Name}' maps a value to class {labelMap.MaxTarget}, but there are only {numClasses} classes");
        if (!Enum.IsDefined(outOfRange))
            throw new InvalidRunSpecException($"unknown out-of-range policy {outOfRange}");
        OutOfRange = outOfRange;

        var targets = targetClasses?.ToImmutableArray() ?? [];
        foreach (var c in targets)
        {
            if (c < 0 || c >= numClasses)
                throw new InvalidRunSpecException($"target class {c} is outside [0, {numClasses})");
        }
        if (targets.Distinct().Count() != targets.Length)
            throw new InvalidRunSpecException("a target class is listed twice");
        TargetClasses = [.. targets.Order()];

        var cats = categories?.ToImmutableArray() ?? [];
        var seen = new HashSet<int>();
        foreach (var cat in cats)
        {
            if (string.IsNullOrWhiteSpace(cat.Name)) throw new InvalidRunSpecException("a category has no name");
            if (cat.Classes.IsDefaultOrEmpty) throw new InvalidRunSpecException($"category '{cat.Name}' has no classes");
            foreach (var c in cat.Classes)
            {
                if (c < 0 || c >= numClasses)
                    throw new InvalidRunSpecException($"category '{cat.Name}' names class {c}, outside [0, {numClasses})");
                if (!seen.Add(c))
                    throw new InvalidRunSpecException($"class {c} is in more than one category");
            }
        }
        if (cats.Select(c => c.Name).Distinct().Count() != cats.Length)
            throw new InvalidRunSpecException("two categories have the same name");
        Categories = cats;

        if (!(beta > 0) || double.IsInfinity(beta))
            throw new InvalidRunSpecException($"F-beta's beta is {beta}: it must be a finite number > 0");
        Beta = beta;
    }

    public int NumClasses { get; }
    public ImmutableArray<string> ClassNames { get; }

    /// <summary>Ground-truth values (after the label map) whose pixels are dropped.</summary>
    public ImmutableSortedSet<long> IgnoreLabels { get; }

    /// <summary>Applied to ground truth before counting (and to predictions if <see cref="MapPredictions"/>).</summary>
    public LabelMap? LabelMap { get; }

    public bool MapPredictions { get; }
    public OutOfRangePolicy OutOfRange { get; }

    /// <summary>Classes the means are taken over; empty means all classes.</summary>
    public ImmutableArray<int> TargetClasses { get; }

    public ImmutableArray<ClassCategory> Categories { get; }

    /// <summary>The beta of the per-class F-beta score (1 gives F1 = Dice).</summary>
    public double Beta { get; }

    public static string DefaultClassName(int id) => $"class_{id}";

    /// <summary>The Cityscapes evaluation: 19 trainIds, 255 ignored, the 7 categories.</summary>
    public static RunSpec Cityscapes(LabelMap? labelMap = null) =>
        new(19, ClassCategory.CityscapesClassNames, ignoreLabels: [255], labelMap: labelMap,
            categories: ClassCategory.Cityscapes);

    /// <summary>Reads class names, one per line (blank lines and lines starting with # skipped).</summary>
    public static IReadOnlyList<string> ReadClassNames(string path)
    {
        try
        {
            return File.ReadAllLines(path).Select(l => l.Trim())
                .Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidRunSpecException($"class names file '{path}': {e.Message}");
        }
    }

    public bool Equals(RunSpec? o) =>
        o is not null && NumClasses == o.NumClasses && ClassNames.SequenceEqual(o.ClassNames)
        && IgnoreLabels.SetEquals(o.IgnoreLabels) && Equals(LabelMap, o.LabelMap)
        && MapPredictions == o.MapPredictions && OutOfRange == o.OutOfRange
        && TargetClasses.SequenceEqual(o.TargetClasses) && Categories.SequenceEqual(o.Categories)
        && Beta.Equals(o.Beta);

    public override bool Equals(object? obj) => Equals(obj as RunSpec);

    public override int GetHashCode() => HashCode.Combine(NumClasses, IgnoreLabels.Count, LabelMap, OutOfRange, Beta);
}
