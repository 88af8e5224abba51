using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Evaluator.Messages;

namespace Evaluator.Node.Inputs;

/// <summary>
/// NumPy <c>.npy</c> files (format versions 1, 2 and 3) of uint8, uint16, int32 or int64, in
/// either byte order, C order. Hand-written because the format is a 10-line header and no
/// .NET library reads it without pulling in a numerics stack.
/// </summary>
public static partial class NpyReader
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    public readonly record struct Header(LabelDType DType, bool BigEndian, long[] Shape, int DataOffset)
    {
        public long Count => Shape.Aggregate(1L, (a, b) => checked(a * b));
    }

    /// <summary>Reads just the header (for shapes and batch counts without decoding).</summary>
    public static Header ReadHeader(string path)
    {
        using var f = File.OpenRead(path);
        var head = new byte[Math.Min(f.Length, 65536 + 12)];
        f.ReadExactly(head);
        return ParseHeader(head, path);
    }

    /// <summary>Reads the file straight into the label array (one copy: file to array).</summary>
    public static LabelArray Read(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var head = new byte[(int)Math.Min(f.Length, 65536 + 12)];
        f.ReadExactly(head);
        var h = ParseHeader(head, path);
        var size = h.DType.Size();
        var expected = checked(h.Count * size);
        var actual = f.Length - h.DataOffset;
        if (actual != expected)
            throw new BadInputException(path,
                $".npy data is {actual} bytes but shape ({string.Join(", ", h.Shape)}) of {h.DType.Name()} needs {expected}" +
                (actual < expected ? " (truncated file)" : ""));
        if (h.Count > Array.MaxLength) throw new BadInputException(path, $"{h.Count} labels is more than one array holds");
        var n = (int)h.Count;
        f.Position = h.DataOffset;
        switch (h.DType)
        {
            case LabelDType.UInt8:
            {
                var data = GC.AllocateUninitializedArray<byte>(n);
                f.ReadExactly(data);
                return LabelArray.Of(data, h.Shape);
            }
            case LabelDType.UInt16:
            {
                var data = GC.AllocateUninitializedArray<ushort>(n);
                f.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
                if (h.BigEndian) BinaryPrimitives.ReverseEndianness(data, data);
                return LabelArray.Of(data, h.Shape);
            }
            case LabelDType.Int32:
            {
                var data = GC.AllocateUninitializedArray<int>(n);
                f.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
                if (h.BigEndian) BinaryPrimitives.ReverseEndianness(data, data);
                return LabelArray.Of(data, h.Shape);
            }
            default:
            {
                var data = GC.AllocateUninitializedArray<long>(n);
                f.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
                if (h.BigEndian) BinaryPrimitives.ReverseEndianness(data, data);
                return LabelArray.Of(data, h.Shape);
            }
        }
    }

    public static Header ParseHeader(ReadOnlySpan<byte> bytes, string path)
    {
        if (bytes.Length < 10 || !bytes[..6].SequenceEqual(Magic))
            throw new BadInputException(path, "not a .npy file (bad magic)");
        var major = bytes[6];
        int headerLength, start;
        switch (major)
        {
            case 1:
                headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]);
                start = 10;
                break;
            case 2 or 3:
                if (bytes.Length < 12) throw new BadInputException(path, "truncated .npy header");
                headerLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]));
                start = 12;
                break;
            default:
                throw new BadInputException(path, $".npy format version {major} is not supported (1, 2 or 3)");
        }
        if (bytes.Length < start + headerLength) throw new BadInputException(path, "truncated .npy header");
        var text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(bytes.Slice(start, headerLength));

        var descr = DescrPattern().Match(text);
        var fortran = FortranPattern().Match(text);
        var shape = ShapePattern().Match(text);
        if (!descr.Success || !fortran.Success || !shape.Success)
            throw new BadInputException(path, $"unreadable .npy header: {text.Trim()}");
        if (fortran.Groups[1].Value == "True")
            throw new BadInputException(path, "Fortran-ordered .npy arrays are not supported (save with np.ascontiguousarray)");

        var d = descr.Groups[1].Value;
        var order = d[0];
        if (!LabelDTypes.TryParse(d[1..], out var dtype))
            throw new BadInputException(path,
                $".npy dtype '{d}' is not a label type (uint8, uint16, int32 or int64)");
        var dims = shape.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => long.TryParse(s.TrimEnd('L'), NumberStyles.None, CultureInfo.InvariantCulture, out var v)
                ? v
                : throw new BadInputException(path, $"bad .npy shape '{shape.Groups[1].Value}'"))
            .ToArray();
        if (dims.Length == 0) dims = [1];
        return new Header(dtype, order == '>', dims, start + headerLength);
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([<>|=]?[a-z]\d+)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
