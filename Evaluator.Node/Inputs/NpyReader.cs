using System.Buffers;
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
internal static partial class NpyReader
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>The largest header this reader accepts (numpy itself refuses headers over 10,000 bytes by default).</summary>
    public const int MaxHeaderBytes = 1 << 20;

    /// <summary>A parsed header; <see cref="Count"/> was checked to fit, in bytes, in an int64.</summary>
    public readonly record struct Header(LabelDType DType, bool BigEndian, long[] Shape, int DataOffset, long Count);

    /// <summary>Reads just the header (for shapes and batch counts without decoding).</summary>
    public static Header ReadHeader(string path)
    {
        using var f = File.OpenRead(path);
        return ReadHeader(f, path);
    }

    /// <summary>
    /// Reads the labels: memory-mapped when <paramref name="memoryMap"/> (no copy; little-endian
    /// or single-byte data), else straight from the file into a pooled array (one copy).
    /// </summary>
    public static LabelArray Read(string path, bool memoryMap = false)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var h = ReadHeader(f, path);
        var size = h.DType.Size();
        var expected = checked(h.Count * size);
        var actual = f.Length - h.DataOffset;
        if (actual != expected)
            throw new BadInputException(path,
                $".npy data is {actual} bytes but shape ({string.Join(", ", h.Shape)}) of {h.DType.Name()} needs {expected}" +
                (actual < expected ? " (truncated file)" : ""));
        if (h.Count > Array.MaxLength) throw new BadInputException(path, $"{h.Count} labels is more than one array holds");
        return LabelStorage.Load(f, h.DataOffset, h.DType, (int)h.Count, h.Shape, h.BigEndian, memoryMap);
    }

    /// <summary>Reads the magic, the header length and then just the header (no per-file buffer of the maximum size).</summary>
    private static Header ReadHeader(FileStream f, string path)
    {
        Span<byte> prefix = stackalloc byte[12];
        var got = f.ReadAtLeast(prefix, prefix.Length, throwOnEndOfStream: false);
        // Where the header ends, from its length field (version 1: uint16 at 8; 2 and 3: uint32 at
        // 8); for a file too short or without the magic just what was read, so that ParseHeader
        // names the problem.
        var headerEnd = got < 10 || !prefix[..6].SequenceEqual(Magic) ? got
            : prefix[6] == 1 ? 10 + BinaryPrimitives.ReadUInt16LittleEndian(prefix[8..])
            : got == 12 ? 12 + (long)BinaryPrimitives.ReadUInt32LittleEndian(prefix[8..])
            : got;
        var length = (int)Math.Min(Math.Min(headerEnd, f.Length), 1 << 20);
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, prefix.Length));
        try
        {
            f.Position = 0;
            var n = f.ReadAtLeast(buffer.AsSpan(0, length), length, throwOnEndOfStream: false);
            return ParseHeader(buffer.AsSpan(0, n), path);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
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
                var declared = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
                if (declared > MaxHeaderBytes)
                    throw new BadInputException(path, $".npy header length {declared} is implausible (at most {MaxHeaderBytes} bytes)");
                headerLength = (int)declared;
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
        return new Header(dtype, order == '>', dims, start + headerLength, Elements(dims, dtype, path));
    }

    /// <summary>The number of labels of a shape, refused when it or its size in bytes does not fit an int64.</summary>
    private static long Elements(long[] dims, LabelDType dtype, string path)
    {
        long count = 1;
        foreach (var d in dims)
        {
            if (d != 0 && count > long.MaxValue / d / dtype.Size())
                throw new BadInputException(path,
                    $".npy shape ({string.Join(", ", dims)}) of {dtype.Name()} is larger than any file can hold");
            count *= d;
        }
        return count;
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([<>|=]?[a-z]\d+)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
