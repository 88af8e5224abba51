using System.Numerics;
using Evaluator.Messages;

namespace Evaluator.Node.Kernel;

/// <summary>
/// Boundary IoU counts of one image pair (Cheng et al., CVPR 2021), all classes at once. A
/// mask's boundary region is the mask minus its erosion by a 3×3 square applied d times,
/// pixels outside the image counting as outside the mask; that erosion is the erosion by a
/// (2d+1)×(2d+1) square, so a pixel of class c is in its own class's boundary region iff that
/// window around it leaves the image or holds a code other than c, i.e. iff the window is not
/// constant. Only pixels whose ground truth is counted (and whose prediction is in range) enter
/// any sum.
/// </summary>
/// <remarks>
/// Most pairs take <see cref="ByteBoundarySweep"/> (one byte a pixel, windows up to
/// <see cref="ByteBoundarySweep.MaxWindow"/>); the rest, described here, whole ushort code planes.
/// Hand-written (no library offers a windowed-constancy test over label planes), exact, with
/// no running min/max: row pass, the window [x−d, x+d] is constant iff no two neighbours in it
/// differ, an OR of neighbour-change flags over 2d positions built by doubling (vectorized,
/// log₂ 2d passes); column pass, vectorized across x with <see cref="Vector{T}"/>: a per-column
/// run of rows whose horizontal windows are constant and whose codes equal the row above; the
/// window centred on (y−d, x) is constant iff that run reaches 2d+1 at row y. Work buffers are
/// kept by the instance (one per partition ledger), so a pair allocates nothing once they have grown.
/// Not thread-safe.
/// </remarks>
internal sealed class BoundaryCounter
{
    /// <summary>Interleaved histogram copies of the final sum (a power of two).</summary>
    private const int SumLanes = 4;

    private readonly LabelCoder _coder;
    private readonly int _c;
    private ushort[] _gt = [];
    private ushort[] _pred = [];
    private byte[] _gtBoundary = [];
    private byte[] _predBoundary = [];
    private ushort[] _rowRun = [];
    private ushort[] _hPrev = [];
    private ushort[] _hCur = [];
    private ushort[] _vRun = [];
    private byte[] _gtBytes = [];
    private byte[] _predBytes = [];
    private readonly ByteBoundarySweep _sweep = new();

    /// <summary>Byte → code for labels already coded into bytes: the identity.</summary>
    private static readonly ushort[] ByteCodes = [.. Enumerable.Range(0, 256).Select(v => (ushort)v)];

    public BoundaryCounter(RunSpec spec, double dilation)
    {
        if (!(dilation > 0) || double.IsInfinity(dilation))
            throw new InvalidRunSpecException($"boundary dilation is {dilation}: it must be a finite number > 0");
        Spec = spec;
        Dilation = dilation;
        _coder = new LabelCoder(spec);
        _c = spec.NumClasses;
    }

    public RunSpec Spec { get; }
    public double Dilation { get; }

    /// <summary>d = max(1, round(dilation × diagonal)), rounding half to even as Python's round in the paper's code.</summary>
    public static int DilationPixels(double dilation, int height, int width) =>
        (int)Math.Max(1, Math.Round(dilation * Math.Sqrt((double)height * height + (double)width * width)));

    /// <summary>The image's (height, width): its shape without unit axes; one axis is a 1×n image.</summary>
    public static (int Height, int Width) ImageSize(LabelArray labels, string? source)
    {
        var dims = labels.Shape.Where(d => d != 1).ToArray();
        return dims.Length switch
        {
            0 or 1 => (1, labels.Length),
            2 => ((int)dims[0], (int)dims[1]),
            _ => throw new BadInputException(source ?? "labels",
                $"boundary IoU needs 2-D label images, but the shape is {labels.ShapeText}"),
        };
    }

    /// <summary>The pair's per-class boundary intersection and union (its labels are validated by the confusion count first).</summary>
    public BoundaryCounts Count(LabelArray gt, LabelArray pred, string? source)
    {
        if (gt.Length != pred.Length) throw new ShapeMismatchException(source, gt.Length, pred.Length);
        var (h, w) = ImageSize(gt, source);
        var n = gt.Length;
        var d = DilationPixels(Dilation, h, w);
        if (2L * d + 1 <= ByteBoundarySweep.MaxWindow
            && TryBytes(gt, groundTruth: true, ref _gtBytes, out var gtBytes, out var gtTable)
            && TryBytes(pred, groundTruth: false, ref _predBytes, out var predBytes, out var predTable))
        {
            var sums = new long[3 * _c];
            _sweep.Count(gtBytes, predBytes, gtTable, predTable, _c, h, w, d,
                sums.AsSpan(0, _c), sums.AsSpan(_c, _c), sums.AsSpan(2 * _c, _c));
            GC.KeepAlive(gt);
            GC.KeepAlive(pred);
            return Counts(sums.AsSpan(0, _c), sums.AsSpan(_c, _c), sums.AsSpan(2 * _c, _c));
        }
        Grow(ref _gt, n);
        Grow(ref _pred, n);
        Grow(ref _gtBoundary, n);
        Grow(ref _predBoundary, n);
        Code(gt, _gt.AsSpan(0, n), groundTruth: true);
        Code(pred, _pred.AsSpan(0, n), groundTruth: false);
        GC.KeepAlive(gt);
        GC.KeepAlive(pred);
        MarkBoundary(_gt.AsSpan(0, n), _gtBoundary.AsSpan(0, n), h, w, d);
        MarkBoundary(_pred.AsSpan(0, n), _predBoundary.AsSpan(0, n), h, w, d);
        return Sum(n);
    }

    /// <summary>Per class: gt boundary ∩ pred boundary and their union, over counted pixels.</summary>
    /// <remarks>
    /// Counted into <see cref="SumLanes"/> interleaved int tables (neighbouring pixels, mostly of
    /// one class, would otherwise wait on each other's increment); a pair has fewer than 2^31
    /// pixels, so an int cannot overflow. Branch-free: a pixel not counted (ignored or out of
    /// range, codes C and C + 1) adds 0; each table has C + 2 bins so every code indexes one.
    /// </remarks>
    private BoundaryCounts Sum(int n)
    {
        var bins = _c + 2;
        var stride = 3 * bins;
        var lanes = new int[SumLanes * stride];
        var g = _gt.AsSpan(0, n);
        var p = _pred.AsSpan(0, n);
        var bg = _gtBoundary.AsSpan(0, n);
        var bp = _predBoundary.AsSpan(0, n);
        var c = (uint)_c;
        for (var i = 0; i < n; i++)
        {
            uint t = g[i], q = p[i];
            var counted = (t < c ? 1 : 0) & (q < c ? 1 : 0);
            int gb = bg[i] & counted, pb = bp[i] & counted;
            var lane = (i & (SumLanes - 1)) * stride;
            lanes[lane + (int)t] += gb;
            lanes[lane + bins + (int)q] += pb;
            lanes[lane + 2 * bins + (int)t] += gb & pb & (t == q ? 1 : 0);
        }
        var sums = new long[3 * _c];
        for (var k = 0; k < _c; k++)
        {
            for (var l = 0; l < SumLanes; l++)
            {
                sums[k] += lanes[l * stride + k];
                sums[_c + k] += lanes[l * stride + bins + k];
                sums[2 * _c + k] += lanes[l * stride + 2 * bins + k];
            }
        }
        return Counts(sums.AsSpan(0, _c), sums.AsSpan(_c, _c), sums.AsSpan(2 * _c, _c));
    }

    /// <summary>Per class: intersection = on both boundaries, union = gt boundary + pred boundary − both.</summary>
    private static BoundaryCounts Counts(ReadOnlySpan<long> gtB, ReadOnlySpan<long> predB, ReadOnlySpan<long> both)
    {
        var union = new long[gtB.Length];
        for (var k = 0; k < union.Length; k++) union[k] = gtB[k] + predB[k] - both[k];
        return new BoundaryCounts([.. both], [.. union]);
    }

    /// <summary>
    /// The labels as one byte a pixel, for <see cref="ByteBoundarySweep"/>, with the table from
    /// byte to code: 8-bit labels as they are when no label map applies (then two pixels have equal
    /// bytes iff equal raw values, and a counted code c &lt; C is the raw value c's alone, so a
    /// window around a counted pixel is constant in bytes iff it is in codes), else the codes
    /// themselves when they fit a byte (C + 1 ≤ 255). False when neither holds.
    /// </summary>
    private bool TryBytes(LabelArray labels, bool groundTruth, ref byte[] buffer, out ReadOnlySpan<byte> bytes,
        out ReadOnlySpan<ushort> table)
    {
        var mapped = Spec.LabelMap is not null && (groundTruth || Spec.MapPredictions);
        if (labels.DType == LabelDType.UInt8 && !mapped)
        {
            bytes = labels.Labels<byte>();
            table = (groundTruth ? _coder.GroundTruthTable : _coder.PredictionTable)[..256];
            return true;
        }
        if (_coder.OutOfRange > byte.MaxValue)
        {
            bytes = default;
            table = default;
            return false;
        }
        Grow(ref buffer, labels.Length);
        var coded = buffer.AsSpan(0, labels.Length);
        Code(labels, coded, groundTruth);
        bytes = coded;
        table = ByteCodes;
        return true;
    }

    private void Code<TOut>(LabelArray labels, Span<TOut> into, bool groundTruth)
        where TOut : unmanaged, IBinaryInteger<TOut>
    {
        switch (labels.DType)
        {
            case LabelDType.UInt8: Code(labels.Labels<byte>(), into, groundTruth); break;
            case LabelDType.UInt16: Code(labels.Labels<ushort>(), into, groundTruth); break;
            case LabelDType.Int32: Code(labels.Labels<int>(), into, groundTruth); break;
            default: Code(labels.Labels<long>(), into, groundTruth); break;
        }
    }

    private void Code<T, TOut>(ReadOnlySpan<T> raw, Span<TOut> into, bool groundTruth)
        where T : unmanaged, IBinaryInteger<T>
        where TOut : unmanaged, IBinaryInteger<TOut>
    {
        var lut = groundTruth ? _coder.GroundTruthTable : _coder.PredictionTable;
        if (typeof(T) == typeof(byte))
        {
            var bytes = System.Runtime.InteropServices.MemoryMarshal.Cast<T, byte>(raw);
            var small = lut[..256];
            for (var i = 0; i < bytes.Length; i++) into[i] = TOut.CreateTruncating(small[bytes[i]]);
            return;
        }
        for (var i = 0; i < raw.Length; i++)
        {
            var v = long.CreateTruncating(raw[i]);
            into[i] = TOut.CreateTruncating((ulong)v < LabelCoder.LutSize ? lut[(int)v]
                : groundTruth ? _coder.GroundTruthCode(v) : _coder.PredictionCode(v));
        }
    }

    /// <summary>boundary[i] = 1 iff the (2d+1)² window centred on pixel i leaves the image or is not constant.</summary>
    private void MarkBoundary(ReadOnlySpan<ushort> code, Span<byte> boundary, int h, int w, int d)
    {
        boundary.Fill(1);
        var k = 2L * d + 1;
        if (k > h || k > w) return; // every window leaves the image
        var kk = (ushort)k; // k ≤ min(h, w) ≤ sqrt(int.MaxValue) < 65536
        Grow(ref _rowRun, w);
        Grow(ref _hPrev, w);
        Grow(ref _hCur, w);
        Grow(ref _vRun, w);
        var run = _rowRun.AsSpan(0, w);
        var hPrev = _hPrev.AsSpan(0, w);
        var hCur = _hCur.AsSpan(0, w);
        var vRun = _vRun.AsSpan(0, w);
        vRun.Clear();
        hPrev.Clear();
        for (var y = 0; y < h; y++)
        {
            var row = code.Slice(y * w, w);
            HorizontalConstant(row, run, hCur, d);
            if (y == 0) VerticalStart(hCur, vRun);
            else VerticalStep(row, code.Slice((y - 1) * w, w), hPrev, hCur, vRun, kk);
            if (y >= k - 1) MarkRow(vRun, boundary.Slice((y - d) * w, w), kk);
            hCur.CopyTo(hPrev);
        }
    }

    /// <summary>out[x] = 1 unless the column run at x reached k (the window centred there is constant); vectorized.</summary>
    private static void MarkRow(ReadOnlySpan<ushort> vRun, Span<byte> outRow, ushort k)
    {
        var w = outRow.Length;
        var x = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var kv = new Vector<ushort>(k);
            var one = Vector<ushort>.One;
            var n = Vector<ushort>.Count;
            for (; x + 2 * n <= w; x += 2 * n)
            {
                var lo = Vector.LessThan(new Vector<ushort>(vRun[x..]), kv) & one;
                var hi = Vector.LessThan(new Vector<ushort>(vRun[(x + n)..]), kv) & one;
                Vector.Narrow(lo, hi).CopyTo(outRow[x..]);
            }
        }
        for (; x < w; x++) outRow[x] = vRun[x] >= k ? (byte)0 : (byte)1;
    }

    /// <summary>
    /// hc[x] = 1 iff row[x−d .. x+d] lies in the row and is constant, i.e. no change between
    /// neighbours at positions x−d .. x+d−1 (2d of them). The OR over that window is built by
    /// doubling (log₂ 2d vector passes over the row, in place) and read as two overlapping
    /// power-of-two windows.
    /// </summary>
    private static void HorizontalConstant(ReadOnlySpan<ushort> row, Span<ushort> a, Span<ushort> hc, int d)
    {
        var w = row.Length;
        var n = Vector<ushort>.Count;
        var one = Vector<ushort>.One;
        // a[j] = 1 iff row[j] != row[j + 1], j in [0, w − 1)
        var j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; j + n <= w - 1; j += n)
                (Vector.OnesComplement(Vector.Equals(new Vector<ushort>(row[j..]), new Vector<ushort>(row[(j + 1)..]))) & one).CopyTo(a[j..]);
        }
        for (; j < w - 1; j++) a[j] = row[j] != row[j + 1] ? (ushort)1 : (ushort)0;
        var window = 2 * d;
        var len = 1;
        while (2 * len <= window)
        {
            // a[j] |= a[j + len]: a[j] then covers changes j .. j + 2len − 1, for j in [0, w − 2len)
            var end = w - 2 * len;
            j = 0;
            if (Vector.IsHardwareAccelerated)
            {
                for (; j + n <= end; j += n)
                    (new Vector<ushort>(a[j..]) | new Vector<ushort>(a[(j + len)..])).CopyTo(a[j..]);
            }
            for (; j < end; j++) a[j] |= a[j + len];
            len *= 2;
        }
        hc.Clear();
        var shift = window - len;
        var x = d;
        var last = w - d; // x + d < w
        if (Vector.IsHardwareAccelerated)
        {
            for (; x + n <= last; x += n)
                (one - (new Vector<ushort>(a[(x - d)..]) | new Vector<ushort>(a[(x - d + shift)..]))).CopyTo(hc[x..]);
        }
        for (; x < last; x++) hc[x] = (ushort)(1 - (a[x - d] | a[x - d + shift]));
    }

    private static void VerticalStart(ReadOnlySpan<ushort> hc, Span<ushort> vRun) => hc.CopyTo(vRun);

    /// <summary>vRun[x] = hc[x] ? (continues the column's run ? vRun[x] + 1 : 1) : 0, saturated at k; vectorized across x.</summary>
    private static void VerticalStep(ReadOnlySpan<ushort> row, ReadOnlySpan<ushort> above, ReadOnlySpan<ushort> hPrev,
        ReadOnlySpan<ushort> hCur, Span<ushort> vRun, ushort k)
    {
        var w = row.Length;
        var x = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var one = Vector<ushort>.One;
            var kv = new Vector<ushort>(k);
            for (; x + Vector<ushort>.Count <= w; x += Vector<ushort>.Count)
            {
                var cur = new Vector<ushort>(hCur[x..]);
                var cont = Vector.Equals(new Vector<ushort>(row[x..]), new Vector<ushort>(above[x..]))
                    & Vector.Equals(new Vector<ushort>(hPrev[x..]), one);
                var grown = Vector.Min(new Vector<ushort>(vRun[x..]) + one, kv);
                var next = Vector.ConditionalSelect(cont, grown, one) * cur; // cur is 0 or 1
                next.CopyTo(vRun[x..]);
            }
        }
        for (; x < w; x++)
        {
            var cont = row[x] == above[x] && hPrev[x] == 1;
            vRun[x] = hCur[x] == 0 ? (ushort)0 : cont ? (ushort)Math.Min(vRun[x] + 1, k) : (ushort)1;
        }
    }

    private static void Grow<T>(ref T[] buffer, int n)
    {
        if (buffer.Length < n) buffer = new T[n];
    }
}
