using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Evaluator.Tests.Support;

/// <summary>
/// A small PNG encoder for property tests, written from the PNG specification independently of
/// the product's decoder: gray 1/2/4/8/16-bit and palette 1/2/4/8-bit, plain or Adam7, any of the
/// five filters chosen per row by the caller, image data split into IDAT chunks of given sizes.
/// </summary>
public static class PngEncoder
{
    private static readonly (int X0, int Y0, int Dx, int Dy)[] Adam7 =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    /// <param name="labels">Width*Height raw values (each below 2^depth).</param>
    /// <param name="filter">The filter type (0..4) of each row, given the pass (0 when not interlaced) and the row in it.</param>
    /// <param name="idatSize">Bytes of zlib data per IDAT chunk.</param>
    public static byte[] Encode(int width, int height, int depth, bool palette, bool interlaced, ushort[] labels,
        Func<int, int, byte> filter, int idatSize = 1 << 16, CompressionLevel level = CompressionLevel.Optimal)
    {
        var raw = new MemoryStream();
        var passes = interlaced ? Adam7 : [(0, 0, 1, 1)];
        var bpp = depth == 16 ? 2 : 1;
        for (var p = 0; p < passes.Length; p++)
        {
            var (x0, y0, dx, dy) = passes[p];
            int pw = width > x0 ? (width - x0 + dx - 1) / dx : 0, ph = height > y0 ? (height - y0 + dy - 1) / dy : 0;
            if (pw == 0 || ph == 0) continue;
            var stride = ((pw * depth) + 7) / 8;
            var prev = new byte[stride];
            for (var py = 0; py < ph; py++)
            {
                var cur = new byte[stride];
                for (var px = 0; px < pw; px++)
                {
                    int v = labels[((y0 + (py * dy)) * width) + x0 + (px * dx)];
                    if (depth == 16) BinaryPrimitives.WriteUInt16BigEndian(cur.AsSpan(px * 2), (ushort)v);
                    else if (depth == 8) cur[px] = (byte)v;
                    else cur[px * depth / 8] |= (byte)(v << (8 - depth - (px * depth % 8)));
                }
                var f = filter(p, py);
                raw.WriteByte(f);
                for (var i = 0; i < stride; i++)
                {
                    int a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
                    int predicted = f switch { 0 => 0, 1 => a, 2 => b, 3 => (a + b) / 2, _ => Paeth(a, b, c) };
                    raw.WriteByte((byte)(cur[i] - predicted));
                }
                prev = cur;
            }
        }
        var z = new MemoryStream();
        using (var zs = new ZLibStream(z, level, leaveOpen: true)) zs.Write(raw.ToArray());
        var zdata = z.ToArray();

        var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = (byte)depth;
        ihdr[9] = (byte)(palette ? 3 : 0);
        ihdr[12] = (byte)(interlaced ? 1 : 0);
        Chunk(png, "IHDR", ihdr);
        if (palette) Chunk(png, "PLTE", new byte[3 << depth]);
        for (var o = 0; o < zdata.Length; o += idatSize) Chunk(png, "IDAT", zdata.AsSpan(o, Math.Min(idatSize, zdata.Length - o)));
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>The Paeth predictor as the PNG specification writes it (section 9.4).</summary>
    public static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        if (pa <= pb && pa <= pc) return a;
        return pb <= pc ? b : c;
    }

    private static void Chunk(Stream s, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        s.Write(word);
        byte[] typed = [.. Encoding.ASCII.GetBytes(type), .. data];
        s.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, LabelFiles.Crc32(typed));
        s.Write(word);
    }
}
