using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Evaluator.Messages;
using Evaluator.Node.Inputs;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Inputs;

/// <summary>
/// Files and trees that must be refused with a clear error, never hang, crash or multiply
/// pairs: link loops, one file under two names, FIFOs, .npy headers whose sizes overflow.
/// </summary>
public sealed class HostileFileTests
{
    private static readonly byte[] OnePixel = [1];

    private static string TwoSides(out string gt, out string pred)
    {
        var root = TestEnvironment.TempDir("hostile");
        gt = Path.Combine(root, "gt");
        pred = Path.Combine(root, "pred");
        Directory.CreateDirectory(gt);
        Directory.CreateDirectory(pred);
        LabelFiles.WriteNpy(Path.Combine(gt, "a.npy"), "|u1", [1, 1], OnePixel);
        LabelFiles.WriteNpy(Path.Combine(pred, "a.npy"), "|u1", [1, 1], OnePixel);
        return root;
    }

    [Fact]
    public void A_directory_link_loop_adds_no_pair()
    {
        TwoSides(out var gt, out var pred);
        Directory.CreateSymbolicLink(Path.Combine(gt, "loop"), gt);
        Directory.CreateSymbolicLink(Path.Combine(pred, "loop"), pred);

        var pairs = PairDiscovery.Discover(gt, pred, PairLayout.Plain);

        var pair = Assert.Single(pairs);
        Assert.Equal(Path.Combine(gt, "a.npy"), pair.GroundTruth);
    }

    [Fact]
    public void A_linked_directory_is_walked_once()
    {
        var root = TwoSides(out var gt, out var pred);
        var elsewhere = Path.Combine(root, "elsewhere");
        Directory.CreateDirectory(elsewhere);
        LabelFiles.WriteNpy(Path.Combine(elsewhere, "b.npy"), "|u1", [1, 1], OnePixel);
        LabelFiles.WriteNpy(Path.Combine(pred, "b.npy"), "|u1", [1, 1], OnePixel);
        Directory.CreateSymbolicLink(Path.Combine(gt, "more"), elsewhere);
        Directory.CreateDirectory(Path.Combine(pred, "more"));
        File.Copy(Path.Combine(pred, "b.npy"), Path.Combine(pred, "more", "b.npy"));

        var pairs = PairDiscovery.Discover(gt, pred, PairLayout.Plain);

        Assert.Equal(["a.npy", Path.Combine("more", "b.npy")], pairs.Select(p => Path.GetRelativePath(gt, p.GroundTruth)));
    }

    [Fact]
    public void One_file_under_two_names_is_refused_unless_allowed()
    {
        TwoSides(out var gt, out var pred);
        File.CreateSymbolicLink(Path.Combine(gt, "b.npy"), Path.Combine(gt, "a.npy"));
        LabelFiles.WriteNpy(Path.Combine(pred, "b.npy"), "|u1", [1, 1], OnePixel);

        var e = Assert.Throws<BadInputException>(() => PairDiscovery.Discover(gt, pred, PairLayout.Plain));
        Assert.Equal(Path.Combine(gt, "b.npy"), e.File);
        Assert.Contains("same physical ground-truth file", e.Message);
        Assert.Contains("--allow-duplicate-files", e.Message);

        Assert.Equal(2, PairDiscovery.Discover(gt, pred, PairLayout.Plain, allowDuplicateFiles: true).Length);
    }

    [Fact]
    public void A_fifo_is_refused_before_anything_reads_it()
    {
        TwoSides(out var gt, out var pred);
        var fifo = Path.Combine(gt, "b.npy");
        using (var mkfifo = Process.Start("mkfifo", fifo)) mkfifo.WaitForExit();
        LabelFiles.WriteNpy(Path.Combine(pred, "b.npy"), "|u1", [1, 1], OnePixel);

        var e = Assert.Throws<BadInputException>(() => PairDiscovery.Discover(gt, pred, PairLayout.Plain));
        Assert.Equal(fifo, e.File);
        Assert.Contains("not a regular file", e.Message);
        Assert.Throws<BadInputException>(() => PairDiscovery.Discover(fifo, Path.Combine(pred, "b.npy"), PairLayout.Plain));
    }

    [Theory]
    [InlineData("(4611686018427387904, 4)")]
    [InlineData("(9223372036854775807,)")]
    [InlineData("(3037000500, 3037000500)")]
    public void An_npy_shape_too_large_for_any_file_is_a_clear_error(string shape)
    {
        var path = Path.Combine(TestEnvironment.TempDir("npy-shape"), "big.npy");
        var header = $"{{'descr': '<i8', 'fortran_order': False, 'shape': {shape}, }}".PadRight(117) + "\n";
        File.WriteAllBytes(path, [0x93, .. "NUMPY"u8, 1, 0, (byte)header.Length, 0, .. Encoding.ASCII.GetBytes(header)]);

        var e = Assert.Throws<BadInputException>(() => NpyReader.Read(path));
        Assert.Contains("larger than any file can hold", e.Message);
        Assert.Null(LabelFileReader.PixelCount(path, null));
    }

    [Fact]
    public void An_npy_v2_header_length_of_four_gigabytes_is_a_clear_error()
    {
        var path = Path.Combine(TestEnvironment.TempDir("npy-v2"), "long.npy");
        var bytes = new byte[64];
        bytes[0] = 0x93;
        "NUMPY"u8.CopyTo(bytes.AsSpan(1));
        bytes[6] = 2;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), 0xfffffff0);
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<BadInputException>(() => NpyReader.Read(path));
        Assert.Contains("header length 4294967280 is implausible", e.Message);
    }
}
