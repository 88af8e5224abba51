using System.Buffers.Binary;
using System.Diagnostics;
using Evaluator.Messages;
using Evaluator.Node.Inputs;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Inputs;

/// <summary>
/// PNGs written by another encoder (Pillow, through Fixtures/make_pngs.py, plus a small
/// independent encoder in that script for filters, Adam7 and low bit depths) and their exact
/// expected raw values; corrupt files; and random mutations.
/// </summary>
public sealed class PngFixtures
{
    public PngFixtures()
    {
        Dir = TestEnvironment.TempDir("pngs");
        var script = Path.Combine(RepoFiles.RepoRoot(), "Evaluator.Tests", "Fixtures", "make_pngs.py");
        using var p = Process.Start(new ProcessStartInfo("/usr/bin/python3", [script, Dir])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(120_000) || p.ExitCode != 0)
            throw new InvalidOperationException($"make_pngs.py failed (needs Debian's python3-numpy and python3-pil): {err.Result}");
    }

    public string Dir { get; }
}

// Category=Services: its fixtures are written by /usr/bin/python3 with Pillow and numpy; ./run-tests.sh --fast leaves it out.
[Trait("Category", "Services")]
public sealed class PngDecoderTests(PngFixtures fixtures) : IClassFixture<PngFixtures>
{
    public static TheoryData<string> Valid() => new(
        "c_gray1", "c_gray2", "c_gray4", "c_gray8", "c_gray16", "c_gray8_adam7", "c_gray16_adam7", "c_gray1_adam7",
        "c_gray8_adam7_tiny", "c_gray8_1x1", "c_gray8_multi_idat", "c_pal1", "c_trailing_garbage",
        "p_gray8", "p_gray16", "p_pal1", "p_pal2", "p_pal4", "p_pal8_voc", "p_pal_4col",
        "big_gray8", "big_gray16", "big_pal8");

    [Theory]
    [MemberData(nameof(Valid))]
    public void Decodes_raw_gray_levels_and_palette_indices_exactly(string name)
    {
        var expected = File.ReadAllBytes(Path.Combine(fixtures.Dir, name + ".expected"));
        int w = BinaryPrimitives.ReadInt32LittleEndian(expected), h = BinaryPrimitives.ReadInt32LittleEndian(expected.AsSpan(4));
        var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(expected.AsSpan(12)).ToArray();

        var a = PngReader.Read(Path.Combine(fixtures.Dir, name + ".png"));
        Assert.Equal(new long[] { h, w }, a.Shape);
        long[] actual = a.DType switch
        {
            LabelDType.UInt8 => a.Labels<byte>().ToArray().Select(v => (long)v).ToArray(),
            _ => a.Labels<ushort>().ToArray().Select(v => (long)v).ToArray(),
        };
        Assert.Equal(values.Select(v => (long)v), actual);
        Assert.Equal((long)w * h, PngReader.PixelCount(Path.Combine(fixtures.Dir, name + ".png")));
    }

    [Fact]
    public void Every_corrupt_file_is_a_bad_input_error_naming_the_file()
    {
        var bad = Directory.GetFiles(fixtures.Dir, "bad_*.png");
        Assert.True(bad.Length >= 15);
        foreach (var file in bad)
        {
            var e = Assert.Throws<BadInputException>(() => PngReader.Read(file));
            Assert.Equal(file, e.File);
            Assert.False(string.IsNullOrWhiteSpace(e.Problem));
        }
    }

    [Fact]
    public void Random_mutations_give_a_decoded_image_or_a_bad_input_error_never_anything_else()
    {
        var rng = new Random(7);
        int decoded = 0, refused = 0;
        foreach (var name in new[] { "c_gray8_adam7", "p_pal8_voc", "c_gray16" })
        {
            var original = File.ReadAllBytes(Path.Combine(fixtures.Dir, name + ".png"));
            for (var i = 0; i < 1500; i++)
            {
                var bytes = (byte[])original.Clone();
                var flips = rng.Next(1, 4);
                for (var f = 0; f < flips; f++) bytes[rng.Next(8, bytes.Length)] ^= (byte)rng.Next(1, 256);
                if (rng.Next(2) == 0) FixCrcs(bytes); // let half of them reach inflate and unfiltering
                if (rng.Next(5) == 0) bytes = bytes[..rng.Next(bytes.Length)];
                try
                {
                    PngLabelDecoder.Decode(bytes);
                    decoded++;
                }
                catch (PngDecodeException)
                {
                    refused++; // the one allowed failure
                }
            }
        }
        Assert.True(decoded > 0 && refused > 0, $"{decoded} decoded, {refused} refused");
    }

    private static void FixCrcs(byte[] png)
    {
        var pos = 8;
        while (pos + 12 <= png.Length)
        {
            var len = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            if (len < 0 || pos + 12 + (long)len > png.Length) return;
            var crc = LabelFiles.Crc32(png.AsSpan(pos + 4, len + 4));
            BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(pos + 8 + len), crc);
            pos += 12 + len;
        }
    }
}
