using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Evaluator.Messages;

namespace Evaluator.Node.Inputs;

/// <summary>
/// Loads the uncompressed label bytes of a file (.npy data, raw files) into a
/// <see cref="LabelArray"/>: a memory map when allowed and the bytes need no conversion, else a
/// pooled array read straight from the file (byte-swapped for big-endian data).
/// </summary>
public static class LabelStorage
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
            LabelDType.UInt8 => PooledLabels.Fill<byte, FileStream>(count, shape, file, (span, f) => f.ReadExactly(span)),
            LabelDType.UInt16 => PooledLabels.Fill<ushort, FileStream>(count, shape, file, (span, f) =>
            {
                f.ReadExactly(MemoryMarshal.AsBytes(span));
                if (swap) BinaryPrimitives.ReverseEndianness(span, span);
            }),
            LabelDType.Int32 => PooledLabels.Fill<int, FileStream>(count, shape, file, (span, f) =>
            {
                f.ReadExactly(MemoryMarshal.AsBytes(span));
                if (swap) BinaryPrimitives.ReverseEndianness(span, span);
            }),
            _ => PooledLabels.Fill<long, FileStream>(count, shape, file, (span, f) =>
            {
                f.ReadExactly(MemoryMarshal.AsBytes(span));
                if (swap) BinaryPrimitives.ReverseEndianness(span, span);
            }),
        };
    }
}
