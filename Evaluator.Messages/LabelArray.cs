using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Evaluator.Messages;

/// <summary>Element type of a label array.</summary>
public enum LabelDType : byte
{
    UInt8 = 1,
    UInt16 = 2,
    Int32 = 3,
    Int64 = 4,
}

public static class LabelDTypes
{
    public static int Size(this LabelDType t) => t switch
    {
        LabelDType.UInt8 => 1,
        LabelDType.UInt16 => 2,
        LabelDType.Int32 => 4,
        LabelDType.Int64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "unknown dtype"),
    };

    public static string Name(this LabelDType t) => t switch
    {
        LabelDType.UInt8 => "uint8",
        LabelDType.UInt16 => "uint16",
        LabelDType.Int32 => "int32",
        LabelDType.Int64 => "int64",
        _ => t.ToString(),
    };

    public static bool TryParse(string name, out LabelDType type)
    {
        type = name.ToLowerInvariant() switch
        {
            "uint8" or "u1" => LabelDType.UInt8,
            "uint16" or "u2" => LabelDType.UInt16,
            "int32" or "i4" => LabelDType.Int32,
            "int64" or "i8" => LabelDType.Int64,
            _ => 0,
        };
        return type != 0;
    }
}

/// <summary>
/// A decoded label map: <see cref="Length"/> labels of one <see cref="LabelDType"/> and their shape.
/// The labels live in a typed managed array (possibly rented from a pool, and then possibly longer
/// than <see cref="Length"/>) or in native memory such as a memory-mapped file. Immutable by
/// convention: readers fill it, nobody writes to it afterwards.
/// <see cref="Dispose"/> hands rented or mapped storage back; it is for the one consumer that
/// owns the array (a shard after counting a pair). An array that is never disposed is simply
/// collected; one that is disposed must not be read again (reads then throw).
/// </summary>
public sealed class LabelArray : IDisposable
{
    private readonly Array? _array;
    private readonly NativeLabelMemory? _native;
    private IDisposable? _owner;
    private bool _disposed;

    private LabelArray(LabelDType dtype, Array? array, NativeLabelMemory? native, int length, long[] shape,
        IDisposable? owner)
    {
        DType = dtype;
        _array = array;
        _native = native;
        _owner = owner;
        Length = length;
        Shape = shape;
        var n = shape.Aggregate(1L, (a, b) => checked(a * b));
        if (n != length)
            throw new ArgumentException($"shape ({string.Join(", ", shape)}) holds {n} labels, the data {length}");
    }

    public static LabelArray Of(byte[] data, params long[] shape) => new(LabelDType.UInt8, data, null, data.Length, ShapeOf(shape, data.Length), null);
    public static LabelArray Of(ushort[] data, params long[] shape) => new(LabelDType.UInt16, data, null, data.Length, ShapeOf(shape, data.Length), null);
    public static LabelArray Of(int[] data, params long[] shape) => new(LabelDType.Int32, data, null, data.Length, ShapeOf(shape, data.Length), null);
    public static LabelArray Of(long[] data, params long[] shape) => new(LabelDType.Int64, data, null, data.Length, ShapeOf(shape, data.Length), null);

    /// <summary>
    /// An array over the first <paramref name="length"/> elements of a typed array (byte[],
    /// ushort[], int[] or long[]) rented from a pool; <paramref name="owner"/> returns it on dispose.
    /// </summary>
    public static LabelArray Rented(Array data, int length, long[] shape, IDisposable owner)
    {
        var dtype = data switch
        {
            byte[] => LabelDType.UInt8,
            ushort[] => LabelDType.UInt16,
            int[] => LabelDType.Int32,
            long[] => LabelDType.Int64,
            _ => throw new ArgumentException($"{data.GetType().Name} is not a label array type", nameof(data)),
        };
        if ((uint)length > (uint)data.Length) throw new ArgumentOutOfRangeException(nameof(length));
        return new LabelArray(dtype, data, null, length, ShapeOf(shape, length), owner);
    }

    /// <summary>
    /// An array over native memory (little-endian labels), e.g. a memory-mapped file region;
    /// <see cref="Dispose"/> releases the memory.
    /// </summary>
    public static LabelArray Native(LabelDType dtype, NativeLabelMemory memory, int length, long[] shape)
    {
        if ((long)length * dtype.Size() > memory.ByteLength)
            throw new ArgumentOutOfRangeException(nameof(length), $"{length} {dtype.Name()} labels do not fit in {memory.ByteLength} bytes");
        return new LabelArray(dtype, null, memory, length, ShapeOf(shape, length), memory);
    }

    private static long[] ShapeOf(long[] shape, int length) => shape.Length == 0 ? [length] : shape;

    public LabelDType DType { get; }
    public long[] Shape { get; }
    public int Length { get; }

    /// <summary>The labels live in native memory (a memory-mapped file), not in a managed array.</summary>
    public bool IsMapped => _native is not null;

    public string ShapeText => "(" + string.Join(", ", Shape) + ")";

    /// <summary>The raw (little-endian) bytes of <paramref name="count"/> labels from <paramref name="offset"/>.</summary>
    public ReadOnlySpan<byte> Bytes(int offset, int count)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if ((uint)offset > (uint)Length || (uint)count > (uint)(Length - offset))
            throw new ArgumentOutOfRangeException(nameof(offset), $"labels [{offset}, {offset + (long)count}) of {Length}");
        if (_native is not null)
        {
            var size = DType.Size();
            return _native.Span((long)offset * size, checked(count * size));
        }
        return _array switch
        {
            byte[] a => a.AsSpan(offset, count),
            ushort[] a => MemoryMarshal.AsBytes(a.AsSpan(offset, count)),
            int[] a => MemoryMarshal.AsBytes(a.AsSpan(offset, count)),
            long[] a => MemoryMarshal.AsBytes(a.AsSpan(offset, count)),
            _ => throw new InvalidOperationException("label array without storage"),
        };
    }

    /// <summary>
    /// <paramref name="count"/> labels from <paramref name="offset"/> as <typeparamref name="T"/>,
    /// which must be the array's element type (byte, ushort, int or long).
    /// </summary>
    public ReadOnlySpan<T> Labels<T>(int offset, int count) where T : unmanaged
    {
        if (Unsafe.SizeOf<T>() != DType.Size())
            throw new InvalidOperationException($"a {DType.Name()} array read as {typeof(T).Name}");
        return MemoryMarshal.Cast<byte, T>(Bytes(offset, count));
    }

    /// <summary>All labels as <typeparamref name="T"/>.</summary>
    public ReadOnlySpan<T> Labels<T>() where T : unmanaged => Labels<T>(0, Length);

    /// <summary>Hands rented or mapped storage back (idempotent).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        var owner = _owner;
        _owner = null;
        owner?.Dispose();
    }

    /// <summary>A new array from little-endian bytes.</summary>
    public static LabelArray FromBytes(LabelDType dtype, ReadOnlySpan<byte> bytes, long[] shape)
    {
        var size = dtype.Size();
        if (bytes.Length % size != 0)
            throw new WireFormatException("label array", $"{bytes.Length} bytes is not a whole number of {dtype.Name()} labels");
        var n = bytes.Length / size;
        return dtype switch
        {
            LabelDType.UInt8 => Of(bytes.ToArray(), shape),
            LabelDType.UInt16 => Of(MemoryMarshal.Cast<byte, ushort>(bytes).ToArray(), shape),
            LabelDType.Int32 => Of(MemoryMarshal.Cast<byte, int>(bytes).ToArray(), shape),
            LabelDType.Int64 => Of(MemoryMarshal.Cast<byte, long>(bytes).ToArray(), shape),
            _ => throw new WireFormatException("label array", $"unknown dtype {(int)dtype} for {n} labels"),
        };
    }
}

/// <summary>
/// Native memory holding labels (a memory-mapped file region, say). Implementations release
/// it on <see cref="IDisposable.Dispose"/> and, if never disposed, in a finalizer; a reader keeps
/// the owning <see cref="LabelArray"/> alive (<see cref="GC.KeepAlive"/>) while it reads a span.
/// </summary>
public abstract unsafe class NativeLabelMemory : IDisposable
{
    /// <summary>Bytes available from <see cref="Pointer"/>.</summary>
    public abstract long ByteLength { get; }

    /// <summary>The first byte; valid until disposed.</summary>
    protected abstract byte* Pointer { get; }

    public ReadOnlySpan<byte> Span(long byteOffset, int byteCount)
    {
        if (byteOffset < 0 || byteCount < 0 || byteOffset + byteCount > ByteLength)
            throw new ArgumentOutOfRangeException(nameof(byteOffset), $"bytes [{byteOffset}, {byteOffset + byteCount}) of {ByteLength}");
        return new ReadOnlySpan<byte>(Pointer + byteOffset, byteCount);
    }

    public void Dispose()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the memory (called once, from Dispose or the finalizer).</summary>
    protected abstract void Release();

    ~NativeLabelMemory() => Release();
}
