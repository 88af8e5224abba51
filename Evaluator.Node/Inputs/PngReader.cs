using System.Buffers;
using System.Buffers.Binary;
using Evaluator.Messages;

namespace Evaluator.Node.Inputs;

/// <summary>PNG label maps (gray 1–16 bit, palette indices) as <see cref="LabelArray"/>s.</summary>
internal static class PngReader
{
    /// <summary>
    /// Decodes the file into a pooled label array (the compressed bytes are read into a pooled
    /// buffer too): decoding a dataset allocates nothing per image once the pool is warm.
    /// </summary>
    public static LabelArray Read(string path)
    {
        PngLabelImage image;
        using (var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan))
        {
            if (f.Length > Array.MaxLength) throw new BadInputException(path, $"{f.Length} bytes is too large for a PNG label map");
            var length = (int)f.Length;
            var bytes = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                f.ReadExactly(bytes, 0, length);
                image = PngLabelDecoder.Decode(bytes.AsMemory(0, length), pooled: true);
            }
            catch (PngDecodeException e)
            {
                throw new BadInputException(path, "corrupt or unsupported PNG: " + e.Message, e);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(bytes);
            }
        }
        long[] shape = [image.Height, image.Width];
        var pixels = image.Width * image.Height;
        return image.Pixels16 is { } wide
            ? PooledLabels.Wrap(wide, pixels, shape)
            : PooledLabels.Wrap(image.Pixels8!, pixels, shape);
    }

    /// <summary>
    /// What decoding the file holds at its peak, from the IHDR chunk: the compressed bytes, the
    /// inflate window and line buffers (a few rows of filtered scanlines: rows are unfiltered as
    /// they are inflated) and the labels (1 byte a pixel, 2 for 16-bit).
    /// </summary>
    public static long DecodeBytes(string path)
    {
        Span<byte> head = stackalloc byte[26];
        using var f = File.OpenRead(path);
        if (f.Read(head) < 26 || head[12] != (byte)'I' || head[13] != (byte)'H' || head[14] != (byte)'D' || head[15] != (byte)'R')
            throw new BadInputException(path, "not a PNG file (no IHDR header)");
        long width = BinaryPrimitives.ReadUInt32BigEndian(head[16..]), height = BinaryPrimitives.ReadUInt32BigEndian(head[20..]);
        int depth = head[24];
        // The decoder refuses larger images before it allocates anything.
        if (width * height > PngLabelDecoder.DefaultMaxPixels) return 0;
        return f.Length + PngRowReader.PeakBytes(((width * depth) + 7) / 8, height) + width * height * (depth == 16 ? 2 : 1);
    }

    /// <summary>Width × height from the IHDR chunk, without decoding.</summary>
    public static long PixelCount(string path)
    {
        Span<byte> head = stackalloc byte[24];
        using var f = File.OpenRead(path);
        if (f.Read(head) < 24 || head[12] != (byte)'I' || head[13] != (byte)'H' || head[14] != (byte)'D' || head[15] != (byte)'R')
            throw new BadInputException(path, "not a PNG file (no IHDR header)");
        return (long)BinaryPrimitives.ReadUInt32BigEndian(head[16..]) * BinaryPrimitives.ReadUInt32BigEndian(head[20..]);
    }
}
