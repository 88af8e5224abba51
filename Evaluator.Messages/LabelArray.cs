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
/// A decoded label map: a typed array (byte[], ushort[], int[] or long[]) and its shape.
/// Immutable by convention: readers create it, nobody writes to it afterwards.
/// </summary>
public sealed class LabelArray
{
    private LabelArray(LabelDType dtype, Array data, long[] shape)
    {
        DType = dtype;
        Data = data;
        Shape = shape;
        var n = shape.Aggregate(1L, (a, b) => checked(a * b));
        if (n != data.Length)
            throw new ArgumentException($"shape ({string.Join(", ", shape)}) holds {n} labels, the data {data.Length}");
    }

    public static LabelArray Of(byte[] data, params long[] shape) => new(LabelDType.UInt8, data, ShapeOf(shape, data.Length));
    public static LabelArray Of(ushort[] data, params long[] shape) => new(LabelDType.UInt16, data, ShapeOf(shape, data.Length));
    public static LabelArray Of(int[] data, params long[] shape) => new(LabelDType.Int32, data, ShapeOf(shape, data.Length));
    public static LabelArray Of(long[] data, params long[] shape) => new(LabelDType.Int64, data, ShapeOf(shape, data.Length));

    private static long[] ShapeOf(long[] shape, int length) => shape.Length == 0 ? [length] : shape;

    public LabelDType DType { get; }
    public Array Data { get; }
    public long[] Shape { get; }
    public int Length => Data.Length;

    public string ShapeText => "(" + string.Join(", ", Shape) + ")";

    /// <summary>The raw (little-endian) bytes of <paramref name="count"/> labels from <paramref name="offset"/>.</summary>
    public ReadOnlySpan<byte> Bytes(int offset, int count) => DType switch
    {
        LabelDType.UInt8 => ((byte[])Data).AsSpan(offset, count),
        LabelDType.UInt16 => MemoryMarshal.AsBytes(((ushort[])Data).AsSpan(offset, count)),
        LabelDType.Int32 => MemoryMarshal.AsBytes(((int[])Data).AsSpan(offset, count)),
        _ => MemoryMarshal.AsBytes(((long[])Data).AsSpan(offset, count)),
    };

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
