namespace Evaluator.Messages;

/// <summary>
/// A C×C confusion matrix of exact int64 counts: rows are ground truth, columns prediction.
/// Cells are never negative; every merge is checked (exact or a
/// <see cref="CountOverflowException"/>, never a silent wrap). Value equality.
/// A matrix holds no cells until something is counted into it (a run's idle partitions hold
/// kilobytes, not C² × 8 bytes each): reads of an untouched matrix see zeros.
/// </summary>
public sealed class ConfusionMatrix : IEquatable<ConfusionMatrix>
{
    // Null until the first count: all zeros.
    private long[]? _cells;

    public ConfusionMatrix(int numClasses)
    {
        if (numClasses is < RunSpec.MinClasses or > RunSpec.MaxClasses)
            throw new InvalidRunSpecException(
                $"number of classes is {numClasses}: it must be between {RunSpec.MinClasses} and {RunSpec.MaxClasses}");
        NumClasses = numClasses;
    }

    private ConfusionMatrix(int numClasses, long[]? cells)
    {
        NumClasses = numClasses;
        _cells = cells;
    }

    /// <summary>A matrix from rows (ground truth) of columns (prediction).</summary>
    public static ConfusionMatrix FromRows(IReadOnlyList<IReadOnlyList<long>> rows)
    {
        var m = new ConfusionMatrix(rows.Count);
        for (var t = 0; t < rows.Count; t++)
        {
            if (rows[t].Count != rows.Count)
                throw new InvalidRunSpecException($"row {t} has {rows[t].Count} cells, expected {rows.Count}");
            for (var p = 0; p < rows.Count; p++) m.Add(t, p, rows[t][p]);
        }
        return m;
    }

    public int NumClasses { get; }

    public long this[int truth, int prediction] => _cells is null ? 0 : _cells[truth * NumClasses + prediction];

    /// <summary>Whether the matrix holds its C² cells (false: nothing was ever counted into it, all zeros).</summary>
    public bool IsAllocated => _cells is not null;

    private long[] Dense => _cells ??= new long[NumClasses * NumClasses];

    /// <summary>All cells, row-major (allocates them if the matrix holds none: see <see cref="IsAllocated"/>).</summary>
    public ReadOnlySpan<long> Cells => Dense;

    /// <summary>
    /// Row-major cells for a counting kernel to increment in place. Only counting code that
    /// adds non-negative amounts far below 2^63 per call may use it; everything else merges.
    /// </summary>
    public Span<long> CellsForCounting => Dense;

    /// <summary>Adds <paramref name="count"/> (≥ 0) to one cell, checked.</summary>
    public void Add(int truth, int prediction, long count)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), "a count cannot be negative");
        ref var cell = ref Dense[truth * NumClasses + prediction];
        try
        {
            cell = checked(cell + count);
        }
        catch (OverflowException e)
        {
            throw new CountOverflowException($"cell ({truth}, {prediction})", e);
        }
    }

    /// <summary>Adds every cell of <paramref name="other"/> into this one, checked. On overflow nothing changes.</summary>
    public void Merge(ConfusionMatrix other)
    {
        if (other.NumClasses != NumClasses)
            throw new InvalidRunSpecException($"cannot merge a {other.NumClasses}-class matrix into a {NumClasses}-class one");
        if (other._cells is not { } src) return;
        if (_cells is null)
        {
            _cells = (long[])src.Clone();
            return;
        }
        var cells = _cells;
        for (var i = 0; i < cells.Length; i++)
        {
            if (cells[i] > long.MaxValue - src[i])
                throw new CountOverflowException($"cell ({i / NumClasses}, {i % NumClasses})");
        }
        for (var i = 0; i < cells.Length; i++) cells[i] += src[i];
    }

    /// <summary>The exact sum of several matrices of the same size.</summary>
    public static ConfusionMatrix Sum(int numClasses, IEnumerable<ConfusionMatrix> parts)
    {
        var total = new ConfusionMatrix(numClasses);
        foreach (var p in parts) total.Merge(p);
        return total;
    }

    public ConfusionMatrix Clone() => new(NumClasses, (long[]?)_cells?.Clone());

    public void Clear()
    {
        if (_cells is not null) Array.Clear(_cells);
    }

    /// <summary>Pixels counted: the sum of all cells.</summary>
    public long Total
    {
        get
        {
            long s = 0;
            foreach (var c in _cells ?? []) s = checked(s + c);
            return s;
        }
    }

    /// <summary>Correctly classified pixels: the sum of the diagonal.</summary>
    public long Trace
    {
        get
        {
            long s = 0;
            for (var c = 0; c < NumClasses; c++) s = checked(s + this[c, c]);
            return s;
        }
    }

    /// <summary>Ground-truth pixels of class <paramref name="c"/> (its support).</summary>
    public long RowSum(int c)
    {
        if (_cells is null) return 0;
        long s = 0;
        foreach (var v in _cells.AsSpan(c * NumClasses, NumClasses)) s = checked(s + v);
        return s;
    }

    /// <summary>Pixels predicted as class <paramref name="c"/>.</summary>
    public long ColumnSum(int c)
    {
        long s = 0;
        for (var t = 0; t < NumClasses; t++) s = checked(s + this[t, c]);
        return s;
    }

    public long[][] ToRows() =>
        Enumerable.Range(0, NumClasses)
            .Select(t => _cells is null ? new long[NumClasses] : _cells.AsSpan(t * NumClasses, NumClasses).ToArray()).ToArray();

    // ---- wire form ------------------------------------------------------------------------
    // Hand-written because no library gives a sparse varint int64 matrix: a confusion matrix
    // is mostly zeros and small counts, so it travels as (gap, value) pairs of LEB128 varints.
    //   byte    version (1)
    //   varint  C
    //   varint  number of non-zero cells N
    //   N ×     varint gap since the previous non-zero cell's index (+1), varint value
    // A 1024-class matrix with a few thousand non-zero cells is a few kilobytes.

    private const byte WireVersion = 1;

    public byte[] ToBytes()
    {
        var cells = _cells ?? [];
        var nonZero = 0;
        foreach (var c in cells) if (c != 0) nonZero++;
        var buffer = new byte[1 + 10 + 10 + nonZero * 20];
        var pos = 0;
        buffer[pos++] = WireVersion;
        pos += VarInt.Write(buffer.AsSpan(pos), (ulong)NumClasses);
        pos += VarInt.Write(buffer.AsSpan(pos), (ulong)nonZero);
        var previous = -1L;
        for (var i = 0; i < cells.Length; i++)
        {
            if (cells[i] == 0) continue;
            pos += VarInt.Write(buffer.AsSpan(pos), (ulong)(i - previous));
            pos += VarInt.Write(buffer.AsSpan(pos), (ulong)cells[i]);
            previous = i;
        }
        return buffer.AsSpan(0, pos).ToArray();
    }

    public static ConfusionMatrix FromBytes(ReadOnlySpan<byte> bytes)
    {
        const string what = "confusion matrix";
        if (bytes.IsEmpty) throw new WireFormatException(what, "no bytes");
        if (bytes[0] != WireVersion) throw new WireFormatException(what, $"unknown version {bytes[0]}");
        var pos = 1;
        var c = VarInt.Read(bytes, ref pos, what);
        if (c is < RunSpec.MinClasses or > RunSpec.MaxClasses)
            throw new WireFormatException(what, $"{c} classes is outside [{RunSpec.MinClasses}, {RunSpec.MaxClasses}]");
        var m = new ConfusionMatrix((int)c);
        var n = VarInt.Read(bytes, ref pos, what);
        var length = (long)c * (long)c;
        if (n > (ulong)length) throw new WireFormatException(what, $"{n} non-zero cells in a {c}×{c} matrix");
        var index = -1L;
        for (ulong k = 0; k < n; k++)
        {
            var gap = VarInt.Read(bytes, ref pos, what);
            var value = VarInt.Read(bytes, ref pos, what);
            if (gap == 0 || gap > (ulong)length || index + (long)gap >= length)
                throw new WireFormatException(what, $"cell index past the end of a {c}×{c} matrix");
            if (value == 0 || value > long.MaxValue)
                throw new WireFormatException(what, $"cell value {value} is not a positive int64");
            index += (long)gap;
            m.Dense[index] = (long)value;
        }
        if (pos != bytes.Length) throw new WireFormatException(what, $"{bytes.Length - pos} trailing bytes");
        return m;
    }

    // ---- equality -----------------------------------------------------------------------

    public bool Equals(ConfusionMatrix? other) =>
        other is not null && other.NumClasses == NumClasses
        && (_cells, other._cells) switch
        {
            (null, null) => true,
            (null, { } b) => !b.AsSpan().ContainsAnyExcept(0L),
            ({ } a, null) => !a.AsSpan().ContainsAnyExcept(0L),
            ({ } a, { } b) => a.AsSpan().SequenceEqual(b),
        };

    public override bool Equals(object? obj) => Equals(obj as ConfusionMatrix);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(NumClasses);
        // The non-zero cells: the same for an untouched matrix and an allocated one of zeros.
        var cells = _cells ?? [];
        for (var i = 0; i < cells.Length; i++)
        {
            if (cells[i] == 0) continue;
            h.Add(i);
            h.Add(cells[i]);
        }
        return h.ToHashCode();
    }

    public override string ToString() => $"ConfusionMatrix({NumClasses}×{NumClasses}, total {Total})";
}

/// <summary>Unsigned LEB128 varints (7 bits a byte, high bit = more).</summary>
public static class VarInt
{
    public static int Write(Span<byte> dest, ulong value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            dest[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        dest[i++] = (byte)value;
        return i;
    }

    public static ulong Read(ReadOnlySpan<byte> src, ref int pos, string what)
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (pos >= src.Length) throw new WireFormatException(what, "truncated varint");
            var b = src[pos++];
            if (shift == 63 && b > 1) throw new WireFormatException(what, "varint exceeds 64 bits");
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return result;
        }
        throw new WireFormatException(what, "varint exceeds 64 bits");
    }
}
