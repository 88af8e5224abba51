using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Runtime.InteropServices;
using Evaluator.Messages;
using Evaluator.Node.Inputs;

namespace Evaluator.Node.Bench;

/// <summary>
/// Single-threaded PNG decode rates over the files of a directory, held in memory so that the disk
/// is out of the figure: the whole decoder, and zlib inflating the same IDAT data alone (the part of
/// decoding that unfiltering cannot speed up). Medians of repeated passes, in M labels/s, timed by
/// the thread's CPU time (on Linux), so that other processes on a shared machine do not count.
/// </summary>
internal static class PngDecodeBench
{
    internal sealed record Result(int Files, long Labels, double DecodeMLabelsPerSecond, double InflateMLabelsPerSecond, long Checksum);

    public static Result Run(string dir, int repeats)
    {
        var paths = Directory.GetFiles(dir, "*.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        if (paths.Length == 0) throw new BadInputException(dir, "no .png files under this directory");
        var files = paths.Select(File.ReadAllBytes).ToArray();
        var idats = files.Select(Idat).ToArray();
        long labels = 0, checksum = 0;
        var decode = new List<double>();
        var inflate = new List<double>();
        var scratch = new byte[1 << 16];
        // One untimed pass of each warms the JIT (tiered compilation, PGO).
        for (var r = -1; r < repeats; r++)
        {
            labels = 0;
            checksum = 0;
            var t0 = ThreadSeconds();
            foreach (var f in files)
            {
                var image = PngLabelDecoder.Decode(f.AsMemory(), pooled: true);
                var n = (long)image.Width * image.Height;
                labels += n;
                checksum += image.Pixels8 is { } p8 ? p8[(int)(n - 1)] : image.Pixels16![(int)(n - 1)];
                PngLabelDecoder.Return(image);
            }
            var t1 = ThreadSeconds();
            foreach (var idat in idats)
            {
                using var z = new ZLibStream(new MemoryStream(idat), CompressionMode.Decompress);
                while (z.Read(scratch) > 0) { }
            }
            var t2 = ThreadSeconds();
            if (r < 0) continue;
            decode.Add(t1 - t0);
            inflate.Add(t2 - t1);
        }
        return new Result(files.Length, labels, labels / Median(decode) / 1e6, labels / Median(inflate) / 1e6, checksum);
    }

    /// <summary>The concatenated IDAT data of a PNG (no checks: the decoder pass has checked the files).</summary>
    private static byte[] Idat(byte[] png)
    {
        using var o = new MemoryStream();
        for (var pos = 8; pos + 12 <= png.Length;)
        {
            var len = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos));
            if (png.AsSpan(pos + 4, 4).SequenceEqual("IDAT"u8)) o.Write(png, pos + 8, len);
            pos += 12 + len;
        }
        return o.ToArray();
    }

    /// <summary>CPU seconds of this thread (CLOCK_THREAD_CPUTIME_ID); wall seconds where that is not available.</summary>
    private static double ThreadSeconds()
    {
        if (OperatingSystem.IsLinux() && ClockGetTime(ThreadCpuClock, out var ts) == 0) return ts.Seconds + (ts.Nanoseconds / 1e9);
        return Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
    }

    private const int ThreadCpuClock = 3; // CLOCK_THREAD_CPUTIME_ID in <time.h> on Linux

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[(s.Length / 2) - 1] + s[s.Length / 2]) / 2;
    }
}
