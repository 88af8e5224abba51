using System.Buffers.Binary;
using System.IO.Compression;
using Evaluator.Node.Inputs;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Inputs;

/// <summary>
/// Property tests of the PNG decoder against an independent encoder (<see cref="PngEncoder"/>):
/// random label-like and noisy images of odd sizes, every bit depth and colour type the decoder
/// supports, plain and Adam7, every filter type (varying from row to row), image data split into
/// IDAT chunks of random sizes; every decoded value must equal the encoded one. And the unfiltering
/// of single rows against the per-byte definition of the filters.
/// </summary>
public sealed class PngPropertyTests
{
    public static TheoryData<int, bool, bool> Formats()
    {
        var data = new TheoryData<int, bool, bool>();
        foreach (var interlaced in new[] { false, true })
        {
            foreach (var depth in new[] { 1, 2, 4, 8, 16 }) data.Add(depth, false, interlaced);
            foreach (var depth in new[] { 1, 2, 4, 8 }) data.Add(depth, true, interlaced);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Random_images_decode_to_exactly_the_encoded_values(int depth, bool palette, bool interlaced)
    {
        var rng = new Random((depth * 31) + (palette ? 7 : 0) + (interlaced ? 1000 : 0));
        for (var n = 0; n < 40; n++)
        {
            var width = n % 8 == 7 ? rng.Next(200, 320) : rng.Next(1, 70);
            var height = rng.Next(1, 40);
            var labels = n % 3 == 2 ? Noise(rng, width, height, depth) : LabelLike(rng, width, height, depth);
            // Rows with filters that vary from row to row, or one filter (Sub, Up, Average, Paeth) for the whole image.
            var whole = (byte)((n % 6) - 1);
            Func<int, int, byte> filter = n % 6 < 2 ? (_, _) => (byte)rng.Next(5) : (_, _) => whole;
            var png = PngEncoder.Encode(width, height, depth, palette, interlaced, labels, filter,
                idatSize: rng.Next(2) == 0 ? rng.Next(1, 64) : 1 << 16, level: (CompressionLevel)rng.Next(3));
            AssertDecodes(png, width, height, depth, labels, $"image {n}: {width}x{height}");
        }
    }

    [Theory]
    [InlineData(8, false)]
    [InlineData(16, false)]
    [InlineData(8, true)]
    [InlineData(4, false)]
    public void Wide_images_whose_rows_straddle_the_inflate_window_decode_exactly(int depth, bool interlaced)
    {
        var rng = new Random(depth);
        foreach (var width in new[] { 2047, 2048, 2049 })
        {
            const int height = 70;
            var labels = LabelLike(rng, width, height, depth);
            var png = PngEncoder.Encode(width, height, depth, false, interlaced, labels, (_, y) => (byte)(y % 5), idatSize: 8192);
            AssertDecodes(png, width, height, depth, labels, $"{width}x{height}");
        }
    }

    [Fact]
    public void Unfiltering_a_row_gives_the_per_byte_definition_for_every_filter()
    {
        var rng = new Random(12);
        for (var n = 0; n < 20_000; n++)
        {
            var bpp = rng.Next(4) == 0 ? 2 : 1;
            var length = bpp * rng.Next(1, n % 10 == 0 ? 300 : 40);
            var filter = (byte)rng.Next(5);
            var first = rng.Next(8) == 0;
            var prev = first ? [] : RunRow(rng, length);
            // Filtered rows of label maps are mostly zeros: sparse residuals, or the residuals of a
            // row that repeats the one above with a shifted border; sometimes anything at all.
            var src = (n % 4) switch
            {
                0 => Sparse(rng, length),
                1 => Filter(RunRow(rng, length), prev, filter, bpp),
                2 => Filter(Shifted(rng, prev, length), prev, filter, bpp),
                _ => Bytes(rng, length),
            };
            var expected = Reference(filter, src, prev, bpp);
            var actual = new byte[length];
            Assert.True(PngUnfilter.Row(filter, src, prev, actual, bpp));
            if (!expected.AsSpan().SequenceEqual(actual))
                Assert.Fail($"case {n}: filter {filter}, bpp {bpp}, length {length}, first row {first}: " +
                            $"expected [{string.Join(",", expected)}], got [{string.Join(",", actual)}]");
        }
    }

    [Fact]
    public void An_unknown_filter_type_is_refused_naming_the_scanline()
    {
        var labels = new ushort[5 * 6];
        var png = PngEncoder.Encode(5, 6, 8, false, false, labels, (_, y) => (byte)(y == 3 ? 5 : 0));
        var e = Assert.Throws<PngDecodeException>(() => PngLabelDecoder.Decode(png));
        Assert.Equal("corrupt: invalid filter type 5 on scanline 3", e.Message);
    }

    [Fact]
    public void Image_data_shorter_than_the_header_says_is_refused_with_both_amounts()
    {
        var labels = new ushort[7 * 4];
        var png = PngEncoder.Encode(7, 4, 8, false, false, labels, (_, _) => 2);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(8 + 8 + 4), 5); // IHDR height 4 -> 5
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(8 + 8 + 13), LabelFiles.Crc32(png.AsSpan(8 + 4, 17)));
        var e = Assert.Throws<PngDecodeException>(() => PngLabelDecoder.Decode(png));
        Assert.Equal("truncated or corrupt: IDAT holds 32 bytes of image data, expected 40", e.Message);
    }

    private static void AssertDecodes(byte[] png, int width, int height, int depth, ushort[] labels, string what)
    {
        foreach (var pooled in new[] { false, true })
        {
            var image = PngLabelDecoder.Decode(png.AsMemory(), pooled: pooled);
            Assert.Equal((width, height, depth), (image.Width, image.Height, image.BitDepth));
            for (var i = 0; i < labels.Length; i++)
            {
                int actual = depth == 16 ? image.Pixels16![i] : image.Pixels8![i];
                if (actual != labels[i]) Assert.Fail($"{what}, depth {depth}: pixel {i % width},{i / width} is {actual}, expected {labels[i]}");
            }
            if (pooled) PngLabelDecoder.Return(image);
        }
    }

    /// <summary>Blobby maps: runs of labels, rows that mostly repeat the row above or shift its borders.</summary>
    private static ushort[] LabelLike(Random rng, int width, int height, int depth)
    {
        var max = 1 << depth;
        var labels = new ushort[width * height];
        for (var y = 0; y < height; y++)
        {
            var row = labels.AsSpan(y * width, width);
            var mode = y == 0 ? 0 : rng.Next(4);
            if (mode == 1) labels.AsSpan((y - 1) * width, width).CopyTo(row);
            else if (mode == 2)
            {
                labels.AsSpan((y - 1) * width, width).CopyTo(row);
                var at = rng.Next(width);
                row[at..Math.Min(width, at + rng.Next(1, 6))].Fill((ushort)rng.Next(max));
            }
            else
            {
                for (var x = 0; x < width;)
                {
                    var run = Math.Min(width - x, rng.Next(1, 20));
                    row.Slice(x, run).Fill((ushort)(rng.Next(3) == 0 && max > 256 ? rng.Next(max) : rng.Next(Math.Min(max, 40))));
                    x += run;
                }
            }
        }
        return labels;
    }

    private static ushort[] Noise(Random rng, int width, int height, int depth)
    {
        var labels = new ushort[width * height];
        for (var i = 0; i < labels.Length; i++) labels[i] = (ushort)rng.Next(1 << depth);
        return labels;
    }

    private static byte[] RunRow(Random rng, int length)
    {
        var row = new byte[length];
        for (var x = 0; x < length;)
        {
            var run = Math.Min(length - x, rng.Next(1, rng.Next(2) == 0 ? 30 : 120)); // long runs reach the vector paths
            row.AsSpan(x, run).Fill((byte)rng.Next(rng.Next(2) == 0 ? 3 : 256));
            x += run;
        }
        return row;
    }

    private static byte[] Shifted(Random rng, byte[] prev, int length)
    {
        if (prev.Length == 0) return RunRow(rng, length);
        var row = (byte[])prev.Clone();
        for (var k = rng.Next(1, 4); k > 0; k--)
        {
            var at = rng.Next(length);
            row.AsSpan(at, Math.Min(length - at, rng.Next(1, 8))).Fill((byte)rng.Next(256));
        }
        return row;
    }

    private static byte[] Sparse(Random rng, int length)
    {
        var row = new byte[length];
        for (var i = 0; i < length; i++) if (rng.Next(10) == 0) row[i] = (byte)rng.Next(256);
        return row;
    }

    private static byte[] Bytes(Random rng, int length)
    {
        var row = new byte[length];
        rng.NextBytes(row);
        return row;
    }

    /// <summary>Filters <paramref name="cur"/> against the row above (empty: zeros).</summary>
    private static byte[] Filter(byte[] cur, byte[] prev, byte filter, int bpp)
    {
        var src = new byte[cur.Length];
        for (var i = 0; i < cur.Length; i++)
        {
            int a = i >= bpp ? cur[i - bpp] : 0, b = prev.Length > 0 ? prev[i] : 0, c = i >= bpp && prev.Length > 0 ? prev[i - bpp] : 0;
            src[i] = (byte)(cur[i] - Predict(filter, a, b, c));
        }
        return src;
    }

    /// <summary>Unfiltering byte by byte, as the PNG specification defines it (section 9).</summary>
    private static byte[] Reference(byte filter, byte[] src, byte[] prev, int bpp)
    {
        var dst = new byte[src.Length];
        for (var i = 0; i < src.Length; i++)
        {
            int a = i >= bpp ? dst[i - bpp] : 0, b = prev.Length > 0 ? prev[i] : 0, c = i >= bpp && prev.Length > 0 ? prev[i - bpp] : 0;
            dst[i] = (byte)(src[i] + Predict(filter, a, b, c));
        }
        return dst;
    }

    private static int Predict(byte filter, int a, int b, int c) =>
        filter switch { 0 => 0, 1 => a, 2 => b, 3 => (a + b) / 2, _ => PngEncoder.Paeth(a, b, c) };
}
