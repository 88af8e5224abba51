using System.Buffers.Binary;
using Evaluator.Messages;

namespace Evaluator.Node.Inputs;

/// <summary>PNG label maps (gray 1–16 bit, palette indices) as <see cref="LabelArray"/>s.</summary>
public static class PngReader
{
    public static LabelArray Read(string path)
    {
        PngLabelImage image;
        try
        {
            image = PngLabelDecoder.Decode(File.ReadAllBytes(path));
        }
        catch (PngDecodeException e)
        {
            throw new BadInputException(path, "corrupt or unsupported PNG: " + e.Message, e);
        }
        return image.Pixels16 is { } wide
            ? LabelArray.Of(wide, image.Height, image.Width)
            : LabelArray.Of(image.Pixels8!, image.Height, image.Width);
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
