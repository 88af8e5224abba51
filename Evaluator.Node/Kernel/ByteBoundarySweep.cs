using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Evaluator.Node.Kernel;

/// <summary>
/// The boundary IoU kernel's fast path, on one-byte label planes (8-bit PNG / uint8 .npy read as
/// they are, or labels coded into bytes when the codes fit), for windows of at most
/// <see cref="MaxWindow"/> pixels: one sweep over the rows, ground truth and prediction together,
/// that never builds a whole-image plane. Per row y: the row pass turns the row's neighbour
/// changes into "window [x−d, x+d] constant" bytes; the column pass updates per-column runs
/// (bytes, 32 lanes per <see cref="Vector256{T}"/>) whose value at row y says whether the window
/// centred on (y−d, x) is constant; row y−d's boundary flags are then summed at once, while its
/// flags and labels are still in L1.
/// </summary>
/// <remarks>
/// Hand-written (no library offers a windowed-constancy test over label planes). The row pass
/// and the sums visit the row's changes (a <see cref="Vector256{T}"/> compare of the row with itself
/// shifted by one, then the set bits of the mask), not its pixels: a Cityscapes-like row has
/// tens of changes in 2048 pixels, so the row pass is a handful of fills and the sums add whole
/// runs of pixels that share their labels and flags. The loops are fully optimised from the
/// first call (a run's process is short-lived and tiered JIT, starved on a loaded machine, was
/// seen to leave them unoptimised for whole passes). Exact in int64; the caller says which
/// codes are counted through two 256-entry tables (raw byte → code). Not thread-safe.
/// </remarks>
internal sealed class ByteBoundarySweep
{
    /// <summary>The widest window 2d+1 whose column runs fit a byte (a run grows to the window, plus one before it saturates).</summary>
    public const int MaxWindow = byte.MaxValue - 1;

    private byte[] _gtConst = [];
    private byte[] _predConst = [];
    private byte[] _gtRun = [];
    private byte[] _predRun = [];
    private byte[] _gtEdge = [];
    private byte[] _predEdge = [];
    private byte[] _all = [];
    private int[] _changes = [];

    /// <summary>
    /// Adds the pair's per-class boundary counts: <paramref name="gtB"/>[c] (counted pixels of gt
    /// class c on its gt boundary), <paramref name="predB"/>[c] (the same for the prediction) and
    /// <paramref name="both"/>[c] (gt = pred = c, on both). A pixel is counted iff both its codes are below
    /// <paramref name="classes"/>; codes are read through the tables, and equal bytes must have
    /// equal codes (a counted pixel's code must be its byte's alone).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Count(ReadOnlySpan<byte> gt, ReadOnlySpan<byte> pred, ReadOnlySpan<ushort> gtCode, ReadOnlySpan<ushort> predCode,
        int classes, int h, int w, int d, Span<long> gtB, Span<long> predB, Span<long> both)
    {
        var k = 2L * d + 1;
        if (k > MaxWindow) throw new ArgumentOutOfRangeException(nameof(d), $"window {k} > {MaxWindow}");
        Grow(ref _all, w);
        var all = _all.AsSpan(0, w);
        all.Fill(byte.MaxValue);
        var tally = new Tally(gtCode, predCode, (uint)classes, gtB, predB, both);
        if (k > h || k > w)
        {
            // every window leaves the image: every pixel is on its boundary
            for (var r = 0; r < h; r++) SumRow(gt.Slice(r * w, w), pred.Slice(r * w, w), all, all, ref tally);
            return;
        }
        Grow(ref _gtConst, w);
        Grow(ref _predConst, w);
        Grow(ref _gtRun, w);
        Grow(ref _predRun, w);
        Grow(ref _gtEdge, w);
        Grow(ref _predEdge, w);
        Grow(ref _changes, w);
        Span<byte> gtConst = _gtConst.AsSpan(0, w), predConst = _predConst.AsSpan(0, w);
        Span<byte> gtRun = _gtRun.AsSpan(0, w), predRun = _predRun.AsSpan(0, w);
        Span<byte> gtEdge = _gtEdge.AsSpan(0, w), predEdge = _predEdge.AsSpan(0, w);
        var changes = _changes.AsSpan(0, w);
        gtRun.Clear();
        predRun.Clear();
        var kb = (byte)k;
        for (var y = 0; y < h; y++)
        {
            var g = gt.Slice(y * w, w);
            var p = pred.Slice(y * w, w);
            // at y = 0 the runs are 0, so "the row above" (the row itself) continues nothing
            var gUp = y == 0 ? g : gt.Slice((y - 1) * w, w);
            var pUp = y == 0 ? p : pred.Slice((y - 1) * w, w);
            RowConstant(g, gtConst, d, changes);
            RowConstant(p, predConst, d, changes);
            ColumnStep(g, gUp, gtConst, gtRun, gtEdge, kb);
            ColumnStep(p, pUp, predConst, predRun, predEdge, kb);
            var r = y - d;
            if (r >= d) SumRow(gt.Slice(r * w, w), pred.Slice(r * w, w), gtEdge, predEdge, ref tally);
        }
        // the first and last d rows: every window leaves the image (d ≤ h − d as k ≤ h)
        for (var r = 0; r < d; r++) SumRow(gt.Slice(r * w, w), pred.Slice(r * w, w), all, all, ref tally);
        for (var r = h - d; r < h; r++) SumRow(gt.Slice(r * w, w), pred.Slice(r * w, w), all, all, ref tally);
    }

    /// <summary>Writes the positions j (ascending) where row[j] ≠ row[j + 1]; returns how many.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int Changes(ReadOnlySpan<byte> row, Span<int> into)
    {
        var w = row.Length;
        ref var r0 = ref MemoryMarshal.GetReference(row);
        var n = 0;
        var j = 0;
        for (; j + Vector256<byte>.Count < w; j += Vector256<byte>.Count)
        {
            var a = Vector256.LoadUnsafe(ref r0, (nuint)j);
            var b = Vector256.LoadUnsafe(ref r0, (nuint)j + 1);
            var m = ~Vector256.Equals(a, b).ExtractMostSignificantBits();
            while (m != 0)
            {
                into[n++] = j + BitOperations.TrailingZeroCount(m);
                m &= m - 1;
            }
        }
        for (; j < w - 1; j++)
        {
            if (row[j] != row[j + 1]) into[n++] = j;
        }
        return n;
    }

    /// <summary>
    /// c[x] = 0xFF iff [x−d, x+d] lies in the row and holds no change, else 0. A change at j
    /// (row[j] ≠ row[j + 1]) clears the x in [j + 1 − d, j + d]; the row is written once, left to
    /// right, in fills between the merged intervals.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void RowConstant(ReadOnlySpan<byte> row, Span<byte> c, int d, Span<int> changes)
    {
        var w = row.Length;
        var last = w - d; // x + d < w
        if (last <= d)
        {
            c.Clear();
            return;
        }
        c[..d].Clear();
        var from = d; // c[..from] is written
        var n = Changes(row, changes);
        // the cleared intervals of neighbouring changes overlap where changes are under 2d apart:
        // merged first, so a band of changes costs two fills
        int zeroFrom = 0, zeroTo = 0;
        for (var i = 0; i < n; i++)
        {
            var j = changes[i];
            int lo = j + 1 - d, hi = j + d + 1;
            if (lo > zeroTo)
            {
                from = Band(c, from, zeroFrom, zeroTo, last);
                zeroFrom = lo;
            }
            zeroTo = hi;
        }
        from = Band(c, from, zeroFrom, zeroTo, last);
        c[from..last].Fill(byte.MaxValue);
        c[last..].Clear();
    }

    /// <summary>Writes c[from..zeroFrom) = 0xFF and c[zeroFrom..zeroTo) = 0, both clipped to [from, last); returns the new from.</summary>
    private static int Band(Span<byte> c, int from, int zeroFrom, int zeroTo, int last)
    {
        var lo = Math.Clamp(zeroFrom, from, last);
        var hi = Math.Clamp(zeroTo, lo, last);
        c[from..lo].Fill(byte.MaxValue);
        c[lo..hi].Clear();
        return hi;
    }

    /// <summary>
    /// run[x] = c[x] ? (row[x] = above[x] and run[x] > 0 ? min(run[x] + 1, k) : 1) : 0, and
    /// edge[x] = 0xFF iff run[x] &lt; k (the window centred d rows up is not constant); 32 columns a step.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ColumnStep(ReadOnlySpan<byte> row, ReadOnlySpan<byte> above, ReadOnlySpan<byte> c, Span<byte> run,
        Span<byte> edge, byte k)
    {
        var w = row.Length;
        ref var rowRef = ref MemoryMarshal.GetReference(row);
        ref var upRef = ref MemoryMarshal.GetReference(above);
        ref var cRef = ref MemoryMarshal.GetReference(c);
        ref var runRef = ref MemoryMarshal.GetReference(run);
        ref var edgeRef = ref MemoryMarshal.GetReference(edge);
        var one = Vector256<byte>.One;
        var kv = Vector256.Create(k);
        var x = 0;
        for (; x + Vector256<byte>.Count <= w; x += Vector256<byte>.Count)
        {
            var i = (nuint)x;
            var prev = Vector256.LoadUnsafe(ref runRef, i);
            var cont = Vector256.Equals(Vector256.LoadUnsafe(ref rowRef, i), Vector256.LoadUnsafe(ref upRef, i))
                & ~Vector256.Equals(prev, Vector256<byte>.Zero);
            var next = Vector256.ConditionalSelect(cont, Vector256.Min(prev + one, kv), one) & Vector256.LoadUnsafe(ref cRef, i);
            next.StoreUnsafe(ref runRef, i);
            Vector256.LessThan(next, kv).StoreUnsafe(ref edgeRef, i);
        }
        for (; x < w; x++)
        {
            var next = c[x] == 0 ? 0 : row[x] == above[x] && run[x] > 0 ? Math.Min(run[x] + 1, k) : 1;
            run[x] = (byte)next;
            edge[x] = next < k ? byte.MaxValue : (byte)0;
        }
    }

    /// <summary>Adds one row: splits it where any of its four planes changes and adds each run whole.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SumRow(ReadOnlySpan<byte> g, ReadOnlySpan<byte> p, ReadOnlySpan<byte> ge, ReadOnlySpan<byte> pe, ref Tally tally)
    {
        var w = g.Length;
        ref var gRef = ref MemoryMarshal.GetReference(g);
        ref var pRef = ref MemoryMarshal.GetReference(p);
        ref var geRef = ref MemoryMarshal.GetReference(ge);
        ref var peRef = ref MemoryMarshal.GetReference(pe);
        var start = 0;
        var j = 0;
        for (; j + Vector256<byte>.Count < w; j += Vector256<byte>.Count)
        {
            var i = (nuint)j;
            var same = Vector256.Equals(Vector256.LoadUnsafe(ref gRef, i), Vector256.LoadUnsafe(ref gRef, i + 1))
                & Vector256.Equals(Vector256.LoadUnsafe(ref pRef, i), Vector256.LoadUnsafe(ref pRef, i + 1))
                & Vector256.Equals(Vector256.LoadUnsafe(ref geRef, i), Vector256.LoadUnsafe(ref geRef, i + 1))
                & Vector256.Equals(Vector256.LoadUnsafe(ref peRef, i), Vector256.LoadUnsafe(ref peRef, i + 1));
            var m = ~same.ExtractMostSignificantBits();
            while (m != 0)
            {
                var end = j + BitOperations.TrailingZeroCount(m) + 1;
                tally.Add(g[start], p[start], ge[start], pe[start], end - start);
                start = end;
                m &= m - 1;
            }
        }
        for (; j < w - 1; j++)
        {
            if (g[j] != g[j + 1] || p[j] != p[j + 1] || ge[j] != ge[j + 1] || pe[j] != pe[j + 1])
            {
                tally.Add(g[start], p[start], ge[start], pe[start], j + 1 - start);
                start = j + 1;
            }
        }
        tally.Add(g[start], p[start], ge[start], pe[start], w - start);
    }

    /// <summary>The three per-class sums and the tables that say which codes count.</summary>
    private ref struct Tally(ReadOnlySpan<ushort> gtCode, ReadOnlySpan<ushort> predCode, uint classes,
        Span<long> gtB, Span<long> predB, Span<long> both)
    {
        private readonly ReadOnlySpan<ushort> _gtCode = gtCode;
        private readonly ReadOnlySpan<ushort> _predCode = predCode;
        private readonly Span<long> _gtB = gtB;
        private readonly Span<long> _predB = predB;
        private readonly Span<long> _both = both;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Add(byte g, byte p, byte gEdge, byte pEdge, int length)
        {
            uint t = _gtCode[g], q = _predCode[p];
            if (t >= classes || q >= classes) return;
            if (gEdge != 0) _gtB[(int)t] += length;
            if (pEdge != 0) _predB[(int)q] += length;
            if (gEdge != 0 && pEdge != 0 && t == q) _both[(int)t] += length;
        }
    }

    private static void Grow<T>(ref T[] buffer, int n)
    {
        if (buffer.Length < n) buffer = new T[n];
    }
}
