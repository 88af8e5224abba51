using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Evaluator.Messages;

namespace Evaluator.Node.Kernel;

/// <summary>
/// The counting kernel: folds ground-truth/prediction label arrays (uint8, uint16, int32,
/// int64, in any mix) into an exact int64 <see cref="ConfusionMatrix"/>, applying the label
/// map, ignore set and out-of-range policy of a <see cref="RunSpec"/>.
///
/// A call is atomic: on an out-of-range error nothing is added to the matrix.
///
/// Technique (DESIGN.md, "The hot loop"), for C ≤ 254:
/// <list type="bullet">
/// <item>labels become byte codes (class, ignored = C, out of range = C + 1) through lookup
/// tables, so the loop has no branch on the spec;</item>
/// <item>pairs are counted into 2 interleaved uint32 tables indexed by <c>(t &lt;&lt; 8) | p</c>
/// (no multiply; 2 tables avoid store-forwarding stalls on repeated cells);</item>
/// <item>8 labels are loaded per <c>ulong</c>, and 8 identical pairs (segmentation maps are
/// mostly runs) cost one increment;</item>
/// <item>the tables are flushed into the int64 matrix at the end of every call: a call has
/// at most 2^31 - 1 pixels, so a uint32 counter can never overflow.</item>
/// </list>
/// For C > 254 codes are 16-bit and pairs are counted straight into the int64 matrix.
/// Not thread-safe: one instance per thread or actor.
/// </summary>
internal sealed unsafe class ConfusionCounter
{
    /// <summary>Largest C for the byte-code table path (codes C and C + 1 must fit a byte).</summary>
    public const int MaxTableClasses = 254;

    /// <summary>
    /// Interleaved tables, so that neighbouring pixels with the same pair do not wait on each
    /// other's increment. Measured on the bench (Xeon VM, medians): 2 lanes count 150-class uniform
    /// maps 1.7× faster than 4 (half the cache footprint) and 19-class maps as fast or faster.
    /// </summary>
    private const int Lanes = 2;
    private const int RowStride = 256;
    private const int BlockPixels = 1 << 14;

    private readonly LabelCoder _coder;
    private readonly int _c;
    private readonly bool _table;
    private readonly int _laneSize;
    private readonly uint[] _tables = [];
    private readonly byte[] _gtLut8 = [];
    private readonly byte[] _predLut8 = [];
    private readonly byte[] _identity = [];
    private readonly uint[]? _rawTables;
    private readonly int[] _validRows = [];
    private readonly int[] _ignoredRows = [];
    private readonly int[] _validColumns = [];
    private readonly int[] _dirtyRows = new int[256]; // the valid raw rows one CountRawBytes call touched
    private byte[]? _gtBlock;
    private byte[]? _predBlock;

    public ConfusionCounter(RunSpec spec)
    {
        Spec = spec;
        _coder = new LabelCoder(spec);
        _c = spec.NumClasses;
        _table = _c <= MaxTableClasses;
        if (!_table) return;

        _laneSize = (_c + 2) * RowStride + 40; // padded against 4K aliasing between lanes (see RawLane)
        _tables = new uint[Lanes * _laneSize];
        _gtLut8 = new byte[256];
        _predLut8 = new byte[256];
        _identity = new byte[256];
        for (var v = 0; v < 256; v++)
        {
            _gtLut8[v] = (byte)_coder.GroundTruthCode(v);
            _predLut8[v] = (byte)_coder.PredictionCode(v);
            _identity[v] = (byte)v;
        }

        // Raw uint8 pairs index a 256 × 256 table directly (2 lanes: 512 KiB, of which the rows of
        // the ground-truth values present are hot); the label map, the ignore set and the range
        // check are applied to the 256 × 256 raw cells when they are flushed, not per pixel. With
        // the Cityscapes or ADE20K map this replaced 16 table lookups per 8 pixels in the loop.
        _rawTables = new uint[Lanes * RawLane];
        _validRows = [.. Enumerable.Range(0, 256).Where(v => _gtLut8[v] < _c)];
        _ignoredRows = [.. Enumerable.Range(0, 256).Where(v => _gtLut8[v] == _coder.Ignored)];
        _validColumns = [.. Enumerable.Range(0, 256).Where(v => _predLut8[v] < _c)];
    }

    /// <summary>
    /// Distance between the two lanes of the raw table: 256 × 256 counters plus 40 (160 bytes), so
    /// that the same cell of both lanes never shares its low 12 address bits (4K aliasing makes
    /// the CPU treat such loads and stores as dependent: 19-class uniform maps ran at 0.85
    /// instead of 2.24 Gpx/s on the EPYC VM, see README).
    /// </summary>
    private const int RawLane = 256 * RowStride + 40;

    /// <summary>
    /// The lookup-free loop for uint8 labels without a label map: (g &lt;&lt; 8) | p indexes a table
    /// of raw pairs. Counted = valid rows × columns [0, C); ignored = ignored rows; every other
    /// pixel is out of range, so no scan is needed to count those.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see CountCodes
    private PixelCounts CountRawBytes(ReadOnlySpan<byte> gt, ReadOnlySpan<byte> pred, ConfusionMatrix into, string? source)
    {
        var n = gt.Length;
        fixed (byte* g = gt, p = pred)
        fixed (uint* tables = _rawTables)
        {
            uint* t0 = tables, t1 = t0 + RawLane;
            var i = 0;
            if (Sse2.IsSupported)
            {
                // 16 pixels at a time: interleaving prediction and ground-truth bytes gives the
                // 16-bit indices (g << 8) | p directly (little-endian), so the increments need no
                // shifting or masking; 16 identical pairs cost one increment.
                var idx = stackalloc ushort[16];
                for (; i <= n - 16; i += 16)
                {
                    var vg = Sse2.LoadVector128(g + i);
                    var vp = Sse2.LoadVector128(p + i);
                    var lo = Sse2.UnpackLow(vp, vg);
                    if (Vector128.EqualsAll(vg, Vector128.Create(g[i])) && Vector128.EqualsAll(vp, Vector128.Create(p[i])))
                    {
                        t0[lo.AsUInt16().ToScalar()] += 16;
                        continue;
                    }
                    Sse2.Store((byte*)idx, lo);
                    Sse2.Store((byte*)(idx + 8), Sse2.UnpackHigh(vp, vg));
                    t0[idx[0]]++;
                    t1[idx[1]]++;
                    t0[idx[2]]++;
                    t1[idx[3]]++;
                    t0[idx[4]]++;
                    t1[idx[5]]++;
                    t0[idx[6]]++;
                    t1[idx[7]]++;
                    t0[idx[8]]++;
                    t1[idx[9]]++;
                    t0[idx[10]]++;
                    t1[idx[11]]++;
                    t0[idx[12]]++;
                    t1[idx[13]]++;
                    t0[idx[14]]++;
                    t1[idx[15]]++;
                }
            }
            for (; i <= n - 8; i += 8)
            {
                var a = Unsafe.ReadUnaligned<ulong>(g + i);
                var b = Unsafe.ReadUnaligned<ulong>(p + i);
                if ((((a ^ (a >> 8)) | (b ^ (b >> 8))) << 8) == 0)
                {
                    t0[((int)a & 0xFF) << 8 | ((int)b & 0xFF)] += 8;
                    continue;
                }
                t0[((int)a & 0xFF) << 8 | ((int)b & 0xFF)]++;
                t1[((int)(a >> 8) & 0xFF) << 8 | ((int)(b >> 8) & 0xFF)]++;
                t0[((int)(a >> 16) & 0xFF) << 8 | ((int)(b >> 16) & 0xFF)]++;
                t1[((int)(a >> 24) & 0xFF) << 8 | ((int)(b >> 24) & 0xFF)]++;
                t0[((int)(a >> 32) & 0xFF) << 8 | ((int)(b >> 32) & 0xFF)]++;
                t1[((int)(a >> 40) & 0xFF) << 8 | ((int)(b >> 40) & 0xFF)]++;
                t0[((int)(a >> 48) & 0xFF) << 8 | ((int)(b >> 48) & 0xFF)]++;
                t1[(int)(a >> 56) << 8 | (int)(b >> 56)]++;
            }
            for (; i < n; i++) t0[g[i] << 8 | p[i]]++;
        }

        var t = _rawTables!;
        // Only the valid rows that this call touched are read, summed and cleared: an image holds
        // a few of the classes (an ADE20K-shaped pair about a dozen of 150), and a vectorised test
        // of a clean row costs less than reading its valid cells one by one and clearing it.
        var dirty = _dirtyRows;
        var dirtyCount = 0;
        foreach (var r in _validRows)
        {
            if (RowTouched(t, r)) dirty[dirtyCount++] = r;
        }
        var touched = dirty.AsSpan(0, dirtyCount);
        long counted = 0, ignored = 0;
        foreach (var r in _ignoredRows)
        {
            for (var c = 0; c < 256; c++) ignored += Cell(t, RawLane, r * RowStride + c);
        }
        foreach (var r in touched)
        {
            foreach (var c in _validColumns) counted += Cell(t, RawLane, r * RowStride + c);
        }
        var oor = n - counted - ignored;
        if (oor > 0 && Spec.OutOfRange == OutOfRangePolicy.Error)
        {
            Array.Clear(t); // nothing of this call is counted
            throw Error(FindOutOfRange(gt, pred) ?? throw new InvalidOperationException("out-of-range count without an offender"),
                gt, pred, source);
        }

        var cells = into.CellsForCounting;
        foreach (var r in touched)
        {
            var row = cells.Slice(_gtLut8[r] * _c, _c);
            foreach (var c in _validColumns)
            {
                var v = Cell(t, RawLane, r * RowStride + c);
                if (v != 0) row[_predLut8[c]] += v;
            }
        }
        if (oor == 0)
        {
            // Every pixel sits in a valid row (at a valid column) or an ignored row: only those rows are dirty.
            for (var l = 0; l < Lanes; l++)
            {
                foreach (var r in touched) Array.Clear(t, l * RawLane + r * RowStride, RowStride);
                foreach (var r in _ignoredRows) Array.Clear(t, l * RawLane + r * RowStride, RowStride);
            }
        }
        else
        {
            Array.Clear(t); // out-of-range pairs may sit anywhere in the table
        }
        return new PixelCounts(counted, ignored, oor);
    }

    /// <summary>Whether raw row <paramref name="r"/> holds a count in either lane.</summary>
    private static bool RowTouched(uint[] t, int r) =>
        t.AsSpan(r * RowStride, RowStride).ContainsAnyExcept(0u)
        || t.AsSpan(RawLane + (r * RowStride), RowStride).ContainsAnyExcept(0u);

    public RunSpec Spec { get; }

    /// <summary>
    /// Counts one pair of label arrays into <paramref name="into"/> and returns this call's
    /// pixel counts. <paramref name="source"/> names the input in error messages.
    /// </summary>
    /// <exception cref="ShapeMismatchException">the arrays differ in length</exception>
    /// <exception cref="LabelOutOfRangeException">a label is out of range under policy Error (nothing counted)</exception>
    public PixelCounts Count<TG, TP>(ReadOnlySpan<TG> groundTruth, ReadOnlySpan<TP> prediction, ConfusionMatrix into,
        string? source = null)
        where TG : unmanaged, IBinaryInteger<TG>
        where TP : unmanaged, IBinaryInteger<TP>
    {
        if (groundTruth.Length != prediction.Length)
            throw new ShapeMismatchException(source, groundTruth.Length, prediction.Length);
        if (into.NumClasses != _c)
            throw new InvalidRunSpecException($"a {into.NumClasses}-class matrix for a {_c}-class counter");
        if (groundTruth.IsEmpty) return PixelCounts.Zero;

        return _table
            ? CountByTables(groundTruth, prediction, into, source)
            : CountDirect(groundTruth, prediction, into, source);
    }

    // ---- C ≤ 254: byte codes and interleaved uint32 tables -------------------------------

    private PixelCounts CountByTables<TG, TP>(ReadOnlySpan<TG> gt, ReadOnlySpan<TP> pred, ConfusionMatrix into,
        string? source)
        where TG : unmanaged, IBinaryInteger<TG>
        where TP : unmanaged, IBinaryInteger<TP>
    {
        if (typeof(TG) == typeof(byte) && typeof(TP) == typeof(byte) && _rawTables is not null)
        {
            // Raw bytes: no lookup at all in the loop; the spec (label map included) is applied
            // to the 256 × 256 table of raw pairs when it is flushed.
            return CountRawBytes(MemoryMarshal.Cast<TG, byte>(gt), MemoryMarshal.Cast<TP, byte>(pred), into, source);
        }
        // Wider labels (or a mix): encoded to byte codes block by block, then counted.
        _gtBlock ??= new byte[BlockPixels];
        _predBlock ??= new byte[BlockPixels];
        for (var start = 0; start < gt.Length; start += BlockPixels)
        {
            var n = Math.Min(BlockPixels, gt.Length - start);
            EncodeGroundTruth(gt.Slice(start, n), _gtBlock);
            EncodePrediction(pred.Slice(start, n), _predBlock);
            CountCodes(_gtBlock.AsSpan(0, n), _predBlock.AsSpan(0, n), _identity, _identity);
        }
        return FlushTables(gt, pred, into, source);
    }

    private void EncodeGroundTruth<T>(ReadOnlySpan<T> raw, byte[] codes) where T : unmanaged, IBinaryInteger<T> =>
        Encode(raw, codes, _gtLut8, _coder.GroundTruthTable, groundTruth: true);

    private void EncodePrediction<T>(ReadOnlySpan<T> raw, byte[] codes) where T : unmanaged, IBinaryInteger<T> =>
        Encode(raw, codes, _predLut8, _coder.PredictionTable, groundTruth: false);

    /// <summary>
    /// Raw labels to byte codes through one side's tables: bytes and ushorts index their table
    /// directly (typeof(T) is a JIT constant, so each instantiation keeps only its own loop);
    /// wider labels go through the coder's classification of that side (no delegate, no allocation).
    /// </summary>
    private void Encode<T>(ReadOnlySpan<T> raw, byte[] codes, byte[] lut8, ReadOnlySpan<ushort> lut16,
        bool groundTruth) where T : unmanaged, IBinaryInteger<T>
    {
        if (typeof(T) == typeof(byte))
        {
            var src = MemoryMarshal.Cast<T, byte>(raw);
            for (var i = 0; i < src.Length; i++) codes[i] = lut8[src[i]];
        }
        else if (typeof(T) == typeof(ushort))
        {
            var src = MemoryMarshal.Cast<T, ushort>(raw);
            for (var i = 0; i < src.Length; i++) codes[i] = (byte)lut16[src[i]];
        }
        else
        {
            for (var i = 0; i < raw.Length; i++)
            {
                var v = long.CreateSaturating(raw[i]);
                codes[i] = (byte)(groundTruth ? _coder.GroundTruthCode(v) : _coder.PredictionCode(v));
            }
        }
    }

    /// <summary>The hot loop: counts (gtLut[g], predLut[p]) pairs into the 2 lane tables.</summary>
    /// <remarks>
    /// Fully optimized at its first call (no tier-0 code, no on-stack replacement): it is called
    /// once per slice, a few hundred times in a run, each call a loop over millions of pixels, so
    /// tiered compilation would run the first calls' loops in slower code.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void CountCodes(ReadOnlySpan<byte> gt, ReadOnlySpan<byte> pred, byte[] gtLut, byte[] predLut)
    {
        var n = gt.Length;
        fixed (byte* g = gt, p = pred, gl = gtLut, pl = predLut)
        fixed (uint* tables = _tables)
        {
            uint* t0 = tables, t1 = t0 + _laneSize;
            var i = 0;
            for (; i <= n - 8; i += 8)
            {
                var a = Unsafe.ReadUnaligned<ulong>(g + i);
                var b = Unsafe.ReadUnaligned<ulong>(p + i);
                // All 8 ground-truth bytes equal and all 8 prediction bytes equal: one run.
                if ((((a ^ (a >> 8)) | (b ^ (b >> 8))) << 8) == 0)
                {
                    t0[(gl[(byte)a] << 8) | pl[(byte)b]] += 8;
                    continue;
                }
                t0[(gl[(byte)a] << 8) | pl[(byte)b]]++;
                t1[(gl[(byte)(a >> 8)] << 8) | pl[(byte)(b >> 8)]]++;
                t0[(gl[(byte)(a >> 16)] << 8) | pl[(byte)(b >> 16)]]++;
                t1[(gl[(byte)(a >> 24)] << 8) | pl[(byte)(b >> 24)]]++;
                t0[(gl[(byte)(a >> 32)] << 8) | pl[(byte)(b >> 32)]]++;
                t1[(gl[(byte)(a >> 40)] << 8) | pl[(byte)(b >> 40)]]++;
                t0[(gl[(byte)(a >> 48)] << 8) | pl[(byte)(b >> 48)]]++;
                t1[(gl[(byte)(a >> 56)] << 8) | pl[(byte)(b >> 56)]]++;
            }
            for (; i < n; i++) t0[(gl[g[i]] << 8) | pl[p[i]]]++;
        }
    }

    /// <summary>
    /// Sums the lane tables into the matrix (or, on an out-of-range error, into nothing),
    /// and clears them for the next call.
    /// </summary>
    private PixelCounts FlushTables<TG, TP>(ReadOnlySpan<TG> gt, ReadOnlySpan<TP> pred, ConfusionMatrix into,
        string? source)
        where TG : unmanaged, IBinaryInteger<TG>
        where TP : unmanaged, IBinaryInteger<TP>
    {
        int c = _c, ign = _coder.Ignored, oorCode = _coder.OutOfRange, lane = _laneSize;
        var t = _tables;
        long ignored = 0, oor = 0;
        for (var p = 0; p <= oorCode; p++)
        {
            ignored += Cell(t, lane, ign * RowStride + p);
            oor += Cell(t, lane, oorCode * RowStride + p);
        }
        for (var r = 0; r < c; r++) oor += Cell(t, lane, r * RowStride + oorCode);

        if (oor > 0 && Spec.OutOfRange == OutOfRangePolicy.Error)
        {
            ClearTables();
            throw FirstOutOfRange(gt, pred, source);
        }

        long counted = 0;
        var cells = into.CellsForCounting;
        for (var r = 0; r < c; r++)
        {
            var row = cells.Slice(r * c, c);
            for (var p = 0; p < c; p++)
            {
                var v = Cell(t, lane, r * RowStride + p);
                if (v == 0) continue;
                row[p] += v; // v < 2^31 per call, unchecked: the caller leaves the matrix that much room (see ShardLedger)
                counted += v;
            }
        }
        ClearTables();
        return new PixelCounts(counted, ignored, oor);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Cell(uint[] t, int lane, int index) =>
        (long)t[index] + t[index + lane];

    private void ClearTables()
    {
        var width = _c + 2;
        for (var l = 0; l < Lanes; l++)
            for (var r = 0; r < width; r++)
                Array.Clear(_tables, l * _laneSize + r * RowStride, width);
    }

    // ---- C > 254: 16-bit codes counted straight into the int64 matrix --------------------

    private PixelCounts CountDirect<TG, TP>(ReadOnlySpan<TG> gt, ReadOnlySpan<TP> pred, ConfusionMatrix into,
        string? source)
        where TG : unmanaged, IBinaryInteger<TG>
        where TP : unmanaged, IBinaryInteger<TP>
    {
        // Validate first so that an error leaves the matrix as it was.
        if (Spec.OutOfRange == OutOfRangePolicy.Error && FindOutOfRange(gt, pred) is { } bad)
            throw Error(bad, gt, pred, source);

        var cells = into.CellsForCounting;
        int c = _c;
        long counted = 0, ignored = 0, oor = 0;
        for (var i = 0; i < gt.Length; i++)
        {
            var g = _coder.GroundTruthCode(long.CreateSaturating(gt[i]));
            if (g >= c)
            {
                if (g == _coder.Ignored) ignored++;
                else oor++;
                continue;
            }
            var p = _coder.PredictionCode(long.CreateSaturating(pred[i]));
            if (p >= c)
            {
                oor++;
                continue;
            }
            cells[g * c + p]++;
            counted++;
        }
        return new PixelCounts(counted, ignored, oor);
    }

    // ---- errors ---------------------------------------------------------------------------

    private LabelOutOfRangeException FirstOutOfRange<TG, TP>(ReadOnlySpan<TG> gt, ReadOnlySpan<TP> pred, string? source)
        where TG : unmanaged, IBinaryInteger<TG>
        where TP : unmanaged, IBinaryInteger<TP> =>
        Error(FindOutOfRange(gt, pred) ?? throw new InvalidOperationException("out-of-range count without an offender"),
            gt, pred, source);

    private LabelOutOfRangeException Error<TG, TP>((int Index, LabelSide Side) bad, ReadOnlySpan<TG> gt,
        ReadOnlySpan<TP> pred, string? source)
        where TG : unmanaged, IBinaryInteger<TG>
        where TP : unmanaged, IBinaryInteger<TP>
    {
        var value = bad.Side == LabelSide.GroundTruth
            ? long.CreateSaturating(gt[bad.Index])
            : long.CreateSaturating(pred[bad.Index]);
        return new LabelOutOfRangeException(source, bad.Side, bad.Index, value, _c);
    }

    /// <summary>The first pixel that is out of range, and on which side, or null.</summary>
    private (int Index, LabelSide Side)? FindOutOfRange<TG, TP>(ReadOnlySpan<TG> gt, ReadOnlySpan<TP> pred)
        where TG : unmanaged, IBinaryInteger<TG>
        where TP : unmanaged, IBinaryInteger<TP>
    {
        for (var i = 0; i < gt.Length; i++)
        {
            var g = _coder.GroundTruthCode(long.CreateSaturating(gt[i]));
            if (g == _coder.OutOfRange) return (i, LabelSide.GroundTruth);
            if (g < _c && _coder.PredictionCode(long.CreateSaturating(pred[i])) == _coder.OutOfRange)
                return (i, LabelSide.Prediction);
        }
        return null;
    }
}
