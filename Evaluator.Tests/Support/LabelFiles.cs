using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Evaluator.Tests.Support;

/// <summary>
/// Writes label files for tests: PNG (8/16-bit gray, 8-bit palette; written here with zlib,
/// independently of the product's decoder), .npy and raw.
/// </summary>
public static class LabelFiles
{
    public enum PngKind { Gray8, Gray16, Palette8 }

    public static void WritePng(string path, int width, int height, PngKind kind, Func<int, int> label)
    {
        using var ms = new MemoryStream();
        ms.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = (byte)(kind == PngKind.Gray16 ? 16 : 8);
        ihdr[9] = (byte)(kind == PngKind.Palette8 ? 3 : 0);
        Chunk(ms, "IHDR", ihdr);
        if (kind == PngKind.Palette8)
        {
            var plte = new byte[256 * 3];
            for (var i = 0; i < plte.Length; i++) plte[i] = (byte)(i * 37); // colours unrelated to indices
            Chunk(ms, "PLTE", plte);
        }
        var bpp = kind == PngKind.Gray16 ? 2 : 1;
        var rawRows = new byte[height * (1 + width * bpp)];
        var prev = new byte[width * bpp];
        var cur = new byte[width * bpp];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var v = label(y * width + x);
                if (bpp == 2) BinaryPrimitives.WriteUInt16BigEndian(cur.AsSpan(x * 2), (ushort)v);
                else cur[x] = (byte)v;
            }
            // Alternate filters (None, Sub, Up) so that the decoder's unfiltering is exercised.
            var filter = (byte)(y % 3);
            var o = y * (1 + width * bpp);
            rawRows[o] = filter;
            for (var i = 0; i < cur.Length; i++)
            {
                var left = i >= bpp ? cur[i - bpp] : 0;
                rawRows[o + 1 + i] = filter switch
                {
                    1 => (byte)(cur[i] - left),
                    2 => (byte)(cur[i] - prev[i]),
                    _ => cur[i],
                };
            }
            (prev, cur) = (cur, prev);
        }
        using (var z = new MemoryStream())
        {
            using (var zs = new ZLibStream(z, CompressionLevel.Fastest, leaveOpen: true)) zs.Write(rawRows);
            Chunk(ms, "IDAT", z.ToArray());
        }
        Chunk(ms, "IEND", []);
        File.WriteAllBytes(path, ms.ToArray());
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        s.Write(typeBytes);
        s.Write(data);
        var crc = Crc32([.. typeBytes, .. data]);
        BinaryPrimitives.WriteUInt32BigEndian(len, crc);
        s.Write(len);
    }

    /// <summary>The PNG chunk CRC (CRC-32/ISO-HDLC), written here independently of the decoder's.</summary>
    public static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return crc ^ 0xFFFFFFFFu;
    }

    /// <summary>
    /// A version 1.0 .npy file. The header is padded so that the data starts at a multiple of 64,
    /// as numpy writes it, or, with <paramref name="headerPad"/>, by exactly that many spaces, so
    /// that the data may start at any (also odd) offset, as older writers produce.
    /// </summary>
    public static void WriteNpy(string path, string descr, long[] shape, ReadOnlySpan<byte> data, int? headerPad = null)
    {
        var dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape);
        var header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}), }}";
        var total = 10 + header.Length + 1;
        header = header.PadRight(header.Length + (headerPad ?? (64 - total % 64) % 64)) + "\n";
        using var f = File.Create(path);
        f.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        Span<byte> len = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)header.Length);
        f.Write(len);
        f.Write(Encoding.ASCII.GetBytes(header));
        f.Write(data);
    }
}
