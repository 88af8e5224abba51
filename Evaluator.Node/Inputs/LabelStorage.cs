using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Evaluator.Messages;

namespace Evaluator.Node.Inputs;

/// <summary>
/// Loads the uncompressed label bytes of a file (.npy data, raw files) into a
/// <see cref="LabelArray"/>: a memory map when allowed and the bytes need no conversion, else a
/// pooled array read straight from the file (byte-swapped for big-endian data).
/// </summary>
internal static class LabelStorage
{
    public static LabelArray Load(FileStream file, long offset, LabelDType dtype, int count, long[] shape,
        bool bigEndian, bool memoryMap)
    {
        var bytes = (long)count * dtype.Size();
        if (memoryMap && count > 0 && (!bigEndian || dtype == LabelDType.UInt8))
        {
            try
            {
                return LabelArray.Native(dtype, MappedLabelFile.Map(file, offset, bytes), count, shape);
            }
            catch (IOException)
            {
                // A file system that cannot map this file (some FUSE and network mounts, special
                // files): read it instead, which works wherever a file can be read.
            }
        }
        file.Position = offset;
        var swap = bigEndian && dtype != LabelDType.UInt8;
        return dtype switch
        {
            LabelDType.UInt8 => ReadPooled<byte>(file, count, shape, swap),
            LabelDType.UInt16 => ReadPooled<ushort>(file, count, shape, swap),
            LabelDType.Int32 => ReadPooled<int>(file, count, shape, swap),
            _ => ReadPooled<long>(file, count, shape, swap),
        };
    }

    /// <summary>Reads <paramref name="count"/> labels from the file's position into a pooled array.</summary>
    private static LabelArray ReadPooled<T>(FileStream file, int count, long[] shape, bool swap) where T : unmanaged =>
        PooledLabels.Fill<T, (FileStream File, bool Swap)>(count, shape, (file, swap), static (span, s) =>
        {
            var bytes = MemoryMarshal.AsBytes(span);
            s.File.ReadExactly(bytes);
            if (s.Swap) ReverseEndianness(bytes, Unsafe.SizeOf<T>());
        });

    /// <summary>Big-endian labels to little-endian, in place (vectorised by BinaryPrimitives).</summary>
    private static void ReverseEndianness(Span<byte> bytes, int size)
    {
        switch (size)
        {
            case 2:
                var u16 = MemoryMarshal.Cast<byte, ushort>(bytes);
                BinaryPrimitives.ReverseEndianness(u16, u16);
                break;
            case 4:
                var i32 = MemoryMarshal.Cast<byte, int>(bytes);
                BinaryPrimitives.ReverseEndianness(i32, i32);
                break;
            case 8:
                var i64 = MemoryMarshal.Cast<byte, long>(bytes);
                BinaryPrimitives.ReverseEndianness(i64, i64);
                break;
        }
    }
}
