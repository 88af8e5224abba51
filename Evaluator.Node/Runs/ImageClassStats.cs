using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Evaluator.Messages;

namespace Evaluator.Node.Runs;

/// <summary>
/// The bootstrap's sufficient statistics: per image, per class, TP, FP and FN (int64), stored
/// sparse (only the classes an image touches). IoU_c needs nothing else, so a resample sums
/// these with integer adds instead of whole matrices. Built once, read concurrently.
/// </summary>
internal sealed class ImageClassStats
{
    private readonly List<int> _offsets = [0];
    private readonly List<int> _classes = [];
    private readonly List<long> _tp = [], _fp = [], _fn = [];
    private int[] _offsetArray = [], _classArray = [];
    private long[] _tpArray = [], _fpArray = [], _fnArray = [];
    private bool _frozen;

    /// <summary>How many images.</summary>
    public int Count => _offsets.Count - 1;

    /// <summary>One more than the largest class id seen (0 if none).</summary>
    public int ClassesSeen { get; private set; }

    /// <summary>Appends an image from its nonzero confusion cells.</summary>
    public void Add(IReadOnlyList<CellCount> cells)
    {
        if (_frozen) throw new InvalidOperationException("the statistics are already in use");
        var perClass = new SortedDictionary<int, (long Tp, long Fp, long Fn)>();
        foreach (var cell in cells)
        {
            if (cell.Count == 0) continue;
            if (cell.Truth == cell.Prediction)
            {
                Update(perClass, cell.Truth, cell.Count, 0, 0);
            }
            else
            {
                Update(perClass, cell.Prediction, 0, cell.Count, 0);
                Update(perClass, cell.Truth, 0, 0, cell.Count);
            }
            ClassesSeen = Math.Max(ClassesSeen, Math.Max(cell.Truth, cell.Prediction) + 1);
        }
        foreach (var (k, s) in perClass)
        {
            _classes.Add(k);
            _tp.Add(s.Tp);
            _fp.Add(s.Fp);
            _fn.Add(s.Fn);
        }
        _offsets.Add(_classes.Count);
    }

    private static void Update(SortedDictionary<int, (long Tp, long Fp, long Fn)> d, int k, long tp, long fp, long fn)
    {
        var s = d.GetValueOrDefault(k);
        d[k] = (checked(s.Tp + tp), checked(s.Fp + fp), checked(s.Fn + fn));
    }

    /// <summary>Adds image i's statistics, times <paramref name="weight"/>, into the sums (checked: never wraps).</summary>
    public void AddTo(int image, long weight, Span<long> tp, Span<long> fp, Span<long> fn)
    {
        Freeze();
        AddRange(_offsetArray[image], _offsetArray[image + 1], weight, tp, fp, fn);
    }

    /// <summary>
    /// Adds every image i times weights[i] (the resamples' inner loop). Fully optimised from the
    /// first call: a bootstrap runs it a few thousand times, too few for tiered JIT to catch up.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AddWeighted(ReadOnlySpan<int> weights, Span<long> tp, Span<long> fp, Span<long> fn)
    {
        Freeze();
        var offsets = _offsetArray;
        for (var i = 0; i < weights.Length; i++)
        {
            if (weights[i] != 0) AddRange(offsets[i], offsets[i + 1], weights[i], tp, fp, fn);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private void AddRange(int from, int to, long weight, Span<long> tp, Span<long> fp, Span<long> fn)
    {
        var classes = _classArray;
        long[] t = _tpArray, f = _fpArray, n = _fnArray;
        for (var j = from; j < to; j++)
        {
            var k = classes[j];
            checked
            {
                tp[k] += weight * t[j];
                fp[k] += weight * f[j];
                fn[k] += weight * n[j];
            }
        }
    }

    /// <summary>The sums over all images, each once.</summary>
    public void Totals(Span<long> tp, Span<long> fp, Span<long> fn)
    {
        for (var i = 0; i < Count; i++) AddTo(i, 1, tp, fp, fn);
    }

    /// <summary>Makes the statistics read-only arrays (done once; thread-safe reads after).</summary>
    public ImageClassStats Freeze()
    {
        if (_frozen) return this;
        lock (_offsets)
        {
            if (_frozen) return this;
            _offsetArray = [.. _offsets];
            _classArray = [.. _classes];
            _tpArray = [.. _tp];
            _fpArray = [.. _fp];
            _fnArray = [.. _fn];
            _frozen = true;
        }
        return this;
    }
}

/// <summary>
/// IoU from TP/FP/FN with exactly the semantics and arithmetic of <see cref="MetricReport"/>:
/// IoU_c = TP / (TP + FP + FN) as doubles, undefined (NaN here, null there) when the union is 0;
/// the mean over the target classes (all when none) in their given order, undefined ones left out.
/// Tests check that both agree bit for bit.
/// </summary>
internal static class IouMath
{
    /// <summary>Per-class IoU into <paramref name="iou"/> (NaN where the union is 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PerClass(ReadOnlySpan<long> tp, ReadOnlySpan<long> fp, ReadOnlySpan<long> fn, Span<double> iou)
    {
        for (var k = 0; k < iou.Length; k++)
        {
            var union = checked(tp[k] + fp[k] + fn[k]);
            iou[k] = union == 0 ? double.NaN : (double)tp[k] / union;
        }
    }

    /// <summary>The mean of the defined IoUs of the targets (all classes when empty); NaN if none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Mean(ReadOnlySpan<double> iou, ImmutableArray<int> targets)
    {
        double sum = 0;
        var n = 0;
        if (targets.IsDefaultOrEmpty)
        {
            foreach (var x in iou)
            {
                if (double.IsNaN(x)) continue;
                sum += x;
                n++;
            }
        }
        else
        {
            foreach (var k in targets)
            {
                var x = k < iou.Length ? iou[k] : double.NaN;
                if (double.IsNaN(x)) continue;
                sum += x;
                n++;
            }
        }
        return n == 0 ? double.NaN : sum / n;
    }

    public static double? Nullable(double x) => double.IsNaN(x) ? null : x;
}
