#nullable enable
using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;

namespace Evaluator.Node.Inputs;

/// <summary>A decoded label map: one raw sample per pixel, row-major. Gray levels are not scaled and
/// palette images give the palette INDEX, never a colour.</summary>
#pragma warning disable CA1819 // arrays are the point: callers index them directly
internal sealed class PngLabelImage
{
    internal PngLabelImage(int width, int height, int bitDepth, bool isPalette, byte[]? pixels8, ushort[]? pixels16, byte[]? palette)
    {
        Width = width;
        Height = height;
        BitDepth = bitDepth;
        IsPalette = isPalette;
        Pixels8 = pixels8;
        Pixels16 = pixels16;
        Palette = palette;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Bit depth stored in the file: 1, 2, 4, 8 or 16 (16 only for grayscale).</summary>
    public int BitDepth { get; }

    /// <summary>True for colour type 3 (indexed); the values are then palette indices.</summary>
    public bool IsPalette { get; }

    /// <summary>Width*Height samples for bit depths 1..8 (one byte per pixel, values 0..2^BitDepth-1); otherwise null.</summary>
    public byte[]? Pixels8 { get; }

    /// <summary>Width*Height samples for bit depth 16; otherwise null.</summary>
    public ushort[]? Pixels16 { get; }

    /// <summary>The PLTE chunk (RGB triplets) for palette images; otherwise null. Informational only.</summary>
    public byte[]? Palette { get; }

    /// <summary>The raw label at (x, y).</summary>
    public int this[int x, int y] => Pixels16 is not null ? Pixels16[(y * Width) + x] : Pixels8![(y * Width) + x];
}
#pragma warning restore CA1819

/// <summary>Thrown for a file that is not a PNG, is truncated or corrupt, or is not a label map (gray or palette).</summary>
internal sealed class PngDecodeException : IOException
{
    /// <summary>Creates the exception with a generic message.</summary>
    public PngDecodeException() : base("invalid PNG") { }

    /// <summary>Creates the exception with a message naming the problem.</summary>
    public PngDecodeException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the underlying error.</summary>
    public PngDecodeException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// PNG decoder for segmentation label maps: grayscale 1/2/4/8/16-bit and palette 1/2/4/8-bit, plain or Adam7.
/// Checks every chunk CRC, the chunk order and the amount of image data; throws <see cref="PngDecodeException"/>
/// with a message naming the problem. Ancillary chunks (tRNS, gAMA, text...) are CRC-checked and ignored.
/// Palette indices are returned as stored, even if they exceed the PLTE size.
/// </summary>
internal static class PngLabelDecoder
{
    /// <summary>Default cap on Width*Height, to refuse absurd headers before allocating.</summary>
    public const long DefaultMaxPixels = 1L << 28;

    private static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    private static readonly (int X0, int Y0, int Dx, int Dy)[] Adam7 =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];
    private static readonly (int X0, int Y0, int Dx, int Dy)[] NoInterlace = [(0, 0, 1, 1)];

    /// <summary>Decodes the PNG from the stream's current position to its end.</summary>
    public static PngLabelImage Decode(Stream stream, long maxPixels = DefaultMaxPixels)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (stream is MemoryStream ms && ms.TryGetBuffer(out ArraySegment<byte> seg))
        {
            int start = (int)Math.Min(ms.Position, seg.Count);
            ms.Position = seg.Count; // consume it, as the copying path does
            return Decode(seg.AsMemory(start), maxPixels);
        }
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return Decode(copy.GetBuffer().AsMemory(0, (int)copy.Length), maxPixels);
    }

    /// <summary>Decodes a whole PNG file held in memory.</summary>
    public static PngLabelImage Decode(byte[] data, long maxPixels = DefaultMaxPixels)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Decode(data.AsMemory(), maxPixels);
    }

    /// <summary>
    /// Decodes a whole PNG file held in memory (no copy is made of <paramref name="data"/>). With
    /// <paramref name="pooled"/> the pixel array is rented from <see cref="ArrayPool{T}.Shared"/>
    /// (and may be longer than Width*Height); the caller then returns it.
    /// </summary>
    public static PngLabelImage Decode(ReadOnlyMemory<byte> data, long maxPixels = DefaultMaxPixels, bool pooled = false)
    {
        ReadOnlySpan<byte> d = data.Span;
        if (d.Length == 0) throw new PngDecodeException("not a PNG: the file is empty");
        if (d.Length < 8 || !d[..8].SequenceEqual(Signature))
            throw new PngDecodeException("not a PNG: bad signature (first 8 bytes)");

        int width = 0, height = 0, depth = 0, colorType = -1, interlace = 0;
        byte[]? palette = null;
        var idat = new List<(int Offset, int Length)>();
        bool idatDone = false, iend = false;
        int pos = 8;
        while (pos < d.Length)
        {
            if (d.Length - pos < 12)
                throw new PngDecodeException($"truncated: chunk header at offset {pos} is cut off (file is {d.Length} bytes)");
            uint len = BinaryPrimitives.ReadUInt32BigEndian(d[pos..]);
            ReadOnlySpan<byte> typeBytes = d.Slice(pos + 4, 4);
            string type = ChunkName(typeBytes);
            if (len > int.MaxValue) throw new PngDecodeException($"corrupt: chunk '{type}' at offset {pos} has invalid length {len}");
            if (len > (uint)(d.Length - pos - 12))
                throw new PngDecodeException($"truncated: chunk '{type}' at offset {pos} declares {len} data bytes but only {Math.Max(0, d.Length - pos - 12)} remain");
            int dataStart = pos + 8, n = (int)len;
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(d[(dataStart + n)..]);
            uint actual = Crc32(d.Slice(pos + 4, n + 4));
            if (stored != actual)
                throw new PngDecodeException($"corrupt: CRC mismatch in chunk '{type}' at offset {pos} (stored 0x{stored:X8}, computed 0x{actual:X8})");
            ReadOnlySpan<byte> body = d.Slice(dataStart, n);
            if (pos == 8 && type != "IHDR") throw new PngDecodeException($"corrupt: first chunk is '{type}', expected IHDR");
            if (type != "IDAT" && idat.Count > 0) idatDone = true;
            switch (type)
            {
                case "IHDR":
                    if (pos != 8) throw new PngDecodeException("corrupt: duplicate IHDR chunk");
                    if (n != 13) throw new PngDecodeException($"corrupt: IHDR has length {n}, expected 13");
                    uint w = BinaryPrimitives.ReadUInt32BigEndian(body), h = BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
                    depth = body[8]; colorType = body[9]; interlace = body[12];
                    if (w == 0 || h == 0 || w > int.MaxValue || h > int.MaxValue)
                        throw new PngDecodeException($"corrupt: invalid image size {w}x{h}");
                    if ((long)w * h > Math.Min(maxPixels, Array.MaxLength))
                        throw new PngDecodeException($"image too large: {w}x{h} exceeds the limit of {Math.Min(maxPixels, Array.MaxLength)} pixels");
                    width = (int)w; height = (int)h;
                    if (colorType is 2 or 4 or 6)
                        throw new PngDecodeException($"unsupported: colour type {colorType} ({ColorTypeName(colorType)}) is not a label map; expected grayscale or palette (indexed)");
                    bool okDepth = colorType switch { 0 => depth is 1 or 2 or 4 or 8 or 16, 3 => depth is 1 or 2 or 4 or 8, _ => false };
                    if (colorType is not (0 or 3)) throw new PngDecodeException($"corrupt: invalid colour type {colorType}");
                    if (!okDepth) throw new PngDecodeException($"corrupt: invalid bit depth {depth} for colour type {colorType} ({ColorTypeName(colorType)})");
                    if (body[10] != 0) throw new PngDecodeException($"corrupt: unknown compression method {body[10]}");
                    if (body[11] != 0) throw new PngDecodeException($"corrupt: unknown filter method {body[11]}");
                    if (interlace > 1) throw new PngDecodeException($"corrupt: unknown interlace method {interlace}");
                    break;
                case "PLTE":
                    if (palette is not null) throw new PngDecodeException("corrupt: duplicate PLTE chunk");
                    if (idat.Count > 0) throw new PngDecodeException("corrupt: PLTE chunk after IDAT");
                    if (n == 0 || n % 3 != 0 || n > 768) throw new PngDecodeException($"corrupt: PLTE length {n} is not 3..768 and a multiple of 3");
                    palette = body.ToArray();
                    break;
                case "IDAT":
                    if (idatDone) throw new PngDecodeException($"corrupt: IDAT chunks are not consecutive (another at offset {pos})");
                    idat.Add((dataStart, n));
                    break;
                case "IEND":
                    iend = true;
                    break;
                default:
                    if (!IsLetters(typeBytes)) throw new PngDecodeException($"corrupt: invalid chunk type bytes at offset {pos}");
                    if ((typeBytes[0] & 0x20) == 0)
                        throw new PngDecodeException($"unsupported: unknown critical chunk '{type}' at offset {pos}");
                    break; // ancillary chunk: ignored
            }
            pos = dataStart + n + 4;
            if (iend) break;
        }
        if (!iend) throw new PngDecodeException($"truncated: no IEND chunk (file ends at {d.Length} bytes)");
        if (idat.Count == 0) throw new PngDecodeException("corrupt: no IDAT chunk (no image data)");
        if (colorType == 3 && palette is null) throw new PngDecodeException("corrupt: palette image without a PLTE chunk");

        return DecodePixels(data, idat, width, height, depth, colorType == 3, interlace == 1, colorType == 3 ? palette : null, pooled);
    }

    /// <summary>Hands the pixel array of an image decoded with <c>pooled: true</c> back to the pool.</summary>
    public static void Return(PngLabelImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Pixels8 is { } p8) ArrayPool<byte>.Shared.Return(p8);
        if (image.Pixels16 is { } p16) ArrayPool<ushort>.Shared.Return(p16);
    }

    // One call per image, a loop over its rows: fully optimized at once rather than through on-stack replacement.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static PngLabelImage DecodePixels(ReadOnlyMemory<byte> data, List<(int Offset, int Length)> idat,
        int width, int height, int depth, bool isPalette, bool interlaced, byte[]? palette, bool pooled)
    {
        int bpp = depth == 16 ? 2 : 1; // bytes per complete pixel, as used by the filters
        long rawLong = 0;
        if (interlaced)
        {
            foreach (var (x0, y0, dx, dy) in Adam7)
            {
                long pw = PassSize(width, x0, dx), ph = PassSize(height, y0, dy);
                if (pw > 0 && ph > 0) rawLong += ph * (1 + ((pw * depth) + 7) / 8);
            }
        }
        else
        {
            rawLong = (long)height * (1 + (((long)width * depth) + 7) / 8);
        }
        if (rawLong > Array.MaxLength) throw new PngDecodeException($"image too large: {rawLong} bytes of filtered data");

        var pixels = (int)((long)width * height); // within maxPixels, checked above
        int maxStride = (int)((((long)width * depth) + 7) / 8);
        byte[]? px8 = depth <= 8 ? (pooled ? ArrayPool<byte>.Shared.Rent(pixels) : new byte[pixels]) : null;
        ushort[]? px16 = depth == 16 ? (pooled ? ArrayPool<ushort>.Shared.Rent(pixels) : new ushort[pixels]) : null;
        // Rows are unfiltered as they are inflated: straight into the labels for 8-bit non-interlaced
        // images, through two line buffers (this row, the row above) otherwise.
        bool direct = !interlaced && depth == 8;
        byte[]? lines = direct ? null : ArrayPool<byte>.Shared.Rent(2 * maxStride);
        var ok = false;
        try
        {
            using var rows = new PngRowReader(new IdatStream(data, idat), rawLong, maxStride + 1);
            var passes = interlaced ? Adam7 : NoInterlace;
            for (int p = 0; p < passes.Length; p++)
            {
                var (x0, y0, dx, dy) = passes[p];
                int pw = PassSize(width, x0, dx), ph = PassSize(height, y0, dy);
                if (pw == 0 || ph == 0) continue;
                int stride = (int)((((long)pw * depth) + 7) / 8);
                Span<byte> cur = direct ? default : lines.AsSpan(0, stride), prev = direct ? default : lines.AsSpan(maxStride, stride);
                for (int py = 0; py < ph; py++)
                {
                    ReadOnlySpan<byte> row = rows.Next(stride + 1);
                    if (direct)
                    {
                        cur = px8.AsSpan(py * stride, stride);
                        prev = py == 0 ? default : px8.AsSpan((py - 1) * stride, stride);
                    }
                    if (!PngUnfilter.Row(row[0], row[1..], py == 0 ? default : prev, cur, bpp))
                        throw new PngDecodeException($"corrupt: invalid filter type {row[0]} on scanline {py}" + (interlaced ? $" of Adam7 pass {p + 1}" : ""));
                    if (direct) continue;
                    int y = y0 + (py * dy);
                    if (px16 is not null) Emit16(cur, px16, (y * width) + x0, pw, dx);
                    else Emit8(cur, px8!, (y * width) + x0, pw, dx, depth);
                    Span<byte> t = cur; cur = prev; prev = t;
                }
            }
            rows.Finish();
            ok = true;
            return new PngLabelImage(width, height, depth, isPalette, px8, px16, palette);
        }
        catch (InvalidDataException e)
        {
            throw new PngDecodeException("corrupt: the zlib stream in IDAT is invalid (bad deflate data or Adler-32 mismatch)", e);
        }
        finally
        {
            if (lines is not null) ArrayPool<byte>.Shared.Return(lines);
            if (!ok && pooled)
            {
                if (px8 is not null) ArrayPool<byte>.Shared.Return(px8);
                if (px16 is not null) ArrayPool<ushort>.Shared.Return(px16);
            }
        }
    }

    private static int PassSize(int size, int start, int step) => size > start ? (size - start + step - 1) / step : 0;

    private static void Emit16(ReadOnlySpan<byte> line, ushort[] dst, int start, int count, int step)
    {
        if (step == 1)
        {
            ReadOnlySpan<ushort> be = MemoryMarshal.Cast<byte, ushort>(line[..(count * 2)]);
            if (BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(be, dst.AsSpan(start, count));
            else be.CopyTo(dst.AsSpan(start, count));
            return;
        }
        for (int i = 0, o = start; i < count; i++, o += step)
            dst[o] = BinaryPrimitives.ReadUInt16BigEndian(line[(2 * i)..]);
    }

    private static void Emit8(ReadOnlySpan<byte> line, byte[] dst, int start, int count, int step, int depth)
    {
        if (depth == 8)
        {
            if (step == 1) { line[..count].CopyTo(dst.AsSpan(start, count)); return; }
            for (int i = 0, o = start; i < count; i++, o += step) dst[o] = line[i];
            return;
        }
        int mask = (1 << depth) - 1, perByte = 8 / depth;
        for (int i = 0, o = start; i < count; i++, o += step)
        {
            int shift = 8 - depth - ((i % perByte) * depth);
            dst[o] = (byte)((line[i / perByte] >> shift) & mask);
        }
    }

    private static string ChunkName(ReadOnlySpan<byte> t) =>
        IsLetters(t) ? Encoding.ASCII.GetString(t) : $"0x{BinaryPrimitives.ReadUInt32BigEndian(t):X8}";

    private static bool IsLetters(ReadOnlySpan<byte> t)
    {
        foreach (byte b in t)
            if (!((b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z'))) return false;
        return true;
    }

    private static string ColorTypeName(int ct) => ct switch
    {
        0 => "grayscale",
        2 => "RGB",
        3 => "palette",
        4 => "grayscale+alpha",
        6 => "RGBA",
        _ => "invalid",
    };

    // System.IO.Hashing's CRC-32 is the PNG one (CRC-32/ISO-HDLC) and vectorized (carry-less multiply):
    // a chunk's CRC costs a fraction of the table-driven byte loop it replaces.
    private static uint Crc32(ReadOnlySpan<byte> bytes) => System.IO.Hashing.Crc32.HashToUInt32(bytes);

    /// <summary>Read-only stream over the concatenated data of the IDAT chunks, without copying.</summary>
    private sealed class IdatStream(ReadOnlyMemory<byte> data, List<(int Offset, int Length)> parts) : Stream
    {
        private int _part, _offset;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            while (_part < parts.Count)
            {
                var (start, length) = parts[_part];
                int left = length - _offset;
                if (left > 0)
                {
                    int n = Math.Min(left, buffer.Length);
                    data.Span.Slice(start + _offset, n).CopyTo(buffer);
                    _offset += n;
                    return n;
                }
                _part++;
                _offset = 0;
            }
            return 0;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
