using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Evaluator.Node.Inputs;

/// <summary>
/// Reverses the PNG scanline filters (None, Sub, Up, Average, Paeth) of one row. Hand-written
/// because no served package decodes PNG into raw labels; tuned for label maps, whose filtered rows
/// are mostly zeros: Up is a vector add, and the serial filters (Sub and Paeth with one byte a
/// pixel) skip runs of zero residuals with vector scans instead of going byte by byte. Every path
/// gives exactly the bytes of the plain per-byte definition (PNG spec, section 9).
/// </summary>
/// <remarks>
/// The row functions are compiled fully optimized at their first call (AggressiveOptimization):
/// those with <see cref="Vector{T}"/> cannot be precompiled (ReadyToRun), and their tier-0 code,
/// where each vector operation is a call, decoded the first images of a run several times slower.
/// </remarks>
internal static class PngUnfilter
{
    /// <summary>
    /// Unfilters <paramref name="src"/> (a row without its filter byte) into <paramref name="dst"/>;
    /// <paramref name="prev"/> is the unfiltered row above, or empty for the first row of a pass.
    /// False for an unknown filter type.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see the class remarks
    public static bool Row(byte filter, ReadOnlySpan<byte> src, ReadOnlySpan<byte> prev, Span<byte> dst, int bpp)
    {
        dst = dst[..src.Length];
        if (prev.IsEmpty)
        {
            // First row of a pass: the row above is all zeros, so Up = None, Avg uses a/2 only, Paeth = Sub.
            switch (filter)
            {
                case 0 or 2: src.CopyTo(dst); return true;
                case 1 or 4: Sub(src, dst, bpp); return true;
                case 3: AvgFirst(src, dst, bpp); return true;
                default: return false;
            }
        }
        prev = prev[..src.Length];
        switch (filter)
        {
            case 0: src.CopyTo(dst); return true;
            case 1: Sub(src, dst, bpp); return true;
            case 2: Up(src, prev, dst); return true;
            case 3: Avg(src, prev, dst, bpp); return true;
            case 4:
                if (bpp == 1) Paeth1(src, prev, dst);
                else PaethN(src, prev, dst, bpp);
                return true;
            default: return false;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see the class remarks
    internal static void Sub(ReadOnlySpan<byte> src, Span<byte> dst, int bpp)
    {
        src[..bpp].CopyTo(dst);
        if (bpp != 1)
        {
            for (int i = bpp; i < src.Length; i++) dst[i] = (byte)(src[i] + dst[i - bpp]);
            return;
        }
        // One byte a pixel: a zero residual repeats the left byte, so a run of zeros is a fill.
        int a = dst[0], n = src.Length;
        for (int i = 1; i < n;)
        {
            if (src[i] == 0)
            {
                int k = src[i..].IndexOfAnyExcept((byte)0);
                int end = k < 0 ? n : i + k;
                dst[i..end].Fill((byte)a);
                i = end;
                continue;
            }
            a = (byte)(src[i] + a);
            dst[i++] = (byte)a;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see the class remarks
    internal static void Up(ReadOnlySpan<byte> src, ReadOnlySpan<byte> prev, Span<byte> dst)
    {
        int i = 0, n = src.Length;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= n - Vector<byte>.Count; i += Vector<byte>.Count)
                (new Vector<byte>(src[i..]) + new Vector<byte>(prev[i..])).CopyTo(dst[i..]);
            if (n >= Vector<byte>.Count && i < n)
            {
                // The tail as one more (overlapping) vector: dst[j] depends only on src[j] and prev[j].
                i = n - Vector<byte>.Count;
                (new Vector<byte>(src[i..]) + new Vector<byte>(prev[i..])).CopyTo(dst[i..]);
                return;
            }
        }
        for (; i < n; i++) dst[i] = (byte)(src[i] + prev[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see the class remarks
    private static void AvgFirst(ReadOnlySpan<byte> src, Span<byte> dst, int bpp)
    {
        src[..bpp].CopyTo(dst);
        for (int i = bpp; i < src.Length; i++) dst[i] = (byte)(src[i] + (dst[i - bpp] >> 1));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see the class remarks
    private static void Avg(ReadOnlySpan<byte> src, ReadOnlySpan<byte> prev, Span<byte> dst, int bpp)
    {
        for (int i = 0; i < bpp; i++) dst[i] = (byte)(src[i] + (prev[i] >> 1));
        for (int i = bpp; i < src.Length; i++) dst[i] = (byte)(src[i] + ((dst[i - bpp] + prev[i]) >> 1));
    }

    /// <summary>
    /// Paeth with one byte a pixel. Each byte depends on the one before, but two cases need no
    /// arithmetic: (1) where the left byte equals the upper-left one (a == c), the predictor is the
    /// upper byte b (pb = 0 is the smallest distance, and a tie with pa means a == b == c), so a run
    /// of zero residuals copies the row above and stays in that state; (2) where the row above is
    /// flat (b == c), the predictor is a, so zero residuals repeat the left byte.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see the class remarks
    internal static void Paeth1(ReadOnlySpan<byte> src, ReadOnlySpan<byte> prev, Span<byte> dst)
    {
        int n = src.Length;
        int a = (byte)(src[0] + prev[0]), c = prev[0];
        dst[0] = (byte)a;
        int i = 1;
        while (i < n)
        {
            if (a == c)
            {
                // Synced: dst = src + prev (Up) up to and including the first nonzero residual.
                int end = SyncedRun(src, prev, dst, i);
                if (end == n) return;
                c = prev[end];
                a = (byte)(src[end] + c); // still a == c before this byte: the predictor is b
                dst[end] = (byte)a;
                i = end + 1;
                continue;
            }
            int b = prev[i];
            if (b == c && src[i] == 0)
            {
                i = FlatRun(src, prev, dst, i, (byte)a, (byte)c); // c stays: the row above was c all along the run
                continue;
            }
            a = (byte)(src[i] + Paeth(a, b, c));
            dst[i++] = (byte)a;
            c = b;
        }
    }

    /// <summary>
    /// Writes dst = src + prev from <paramref name="i"/> on, a vector at a time, and returns the index of the
    /// first nonzero residual (or the row length): dst is right up to that index; bytes written past it are
    /// rewritten by the caller, which goes on from there.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see the class remarks
    private static int SyncedRun(ReadOnlySpan<byte> src, ReadOnlySpan<byte> prev, Span<byte> dst, int i)
    {
        int n = src.Length;
        ref byte s = ref MemoryMarshal.GetReference(src), p = ref MemoryMarshal.GetReference(prev), d = ref MemoryMarshal.GetReference(dst);
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - Vector256<byte>.Count; i += Vector256<byte>.Count)
            {
                var sv = Vector256.LoadUnsafe(ref s, (nuint)i);
                (sv + Vector256.LoadUnsafe(ref p, (nuint)i)).StoreUnsafe(ref d, (nuint)i);
                uint nonzero = ~Vector256.Equals(sv, Vector256<byte>.Zero).ExtractMostSignificantBits();
                if (nonzero != 0) return i + BitOperations.TrailingZeroCount(nonzero);
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            for (; i <= n - Vector128<byte>.Count; i += Vector128<byte>.Count)
            {
                var sv = Vector128.LoadUnsafe(ref s, (nuint)i);
                (sv + Vector128.LoadUnsafe(ref p, (nuint)i)).StoreUnsafe(ref d, (nuint)i);
                uint nonzero = ~Vector128.Equals(sv, Vector128<byte>.Zero).ExtractMostSignificantBits() & 0xFFFF;
                if (nonzero != 0) return i + BitOperations.TrailingZeroCount(nonzero);
            }
        }
        for (; i < n; i++)
        {
            if (src[i] != 0) return i;
            dst[i] = prev[i];
        }
        return n;
    }

    /// <summary>
    /// Writes <paramref name="a"/> from <paramref name="i"/> on while the residual is zero and the byte above is
    /// <paramref name="c"/>; returns where that stops (or the row length). Bytes written past it are rewritten
    /// by the caller, which goes on from there.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see the class remarks
    private static int FlatRun(ReadOnlySpan<byte> src, ReadOnlySpan<byte> prev, Span<byte> dst, int i, byte a, byte c)
    {
        int n = src.Length;
        if (Vector128.IsHardwareAccelerated)
        {
            ref byte s = ref MemoryMarshal.GetReference(src), p = ref MemoryMarshal.GetReference(prev), d = ref MemoryMarshal.GetReference(dst);
            Vector128<byte> av = Vector128.Create(a), cv = Vector128.Create(c);
            for (; i <= n - Vector128<byte>.Count; i += Vector128<byte>.Count)
            {
                av.StoreUnsafe(ref d, (nuint)i);
                var same = Vector128.Equals(Vector128.LoadUnsafe(ref s, (nuint)i), Vector128<byte>.Zero)
                           & Vector128.Equals(Vector128.LoadUnsafe(ref p, (nuint)i), cv);
                uint differ = ~same.ExtractMostSignificantBits() & 0xFFFF;
                if (differ != 0) return i + BitOperations.TrailingZeroCount(differ);
            }
        }
        for (; i < n; i++)
        {
            if (src[i] != 0 || prev[i] != c) return i;
            dst[i] = a;
        }
        return n;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see the class remarks
    private static void PaethN(ReadOnlySpan<byte> src, ReadOnlySpan<byte> prev, Span<byte> dst, int bpp)
    {
        for (int i = 0; i < bpp; i++) dst[i] = (byte)(src[i] + prev[i]);
        for (int i = bpp; i < src.Length; i++) dst[i] = (byte)(src[i] + Paeth(dst[i - bpp], prev[i], prev[i - bpp]));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Paeth(int a, int b, int c)
    {
        int pa = Math.Abs(b - c), pb = Math.Abs(a - c), pc = Math.Abs(a + b - c - c);
        int p = pb < pa ? b : a;
        return pc < Math.Min(pa, pb) ? c : p;
    }
}
