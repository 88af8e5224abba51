using System.Buffers.Binary;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Inputs;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Inputs;

/// <summary>
/// Label storage: memory-mapped and pooled reads of .npy and raw files give the same labels as
/// the values written, in every dtype and byte order; disposed arrays refuse reads; and reading
/// a dataset allocates (almost) nothing per image once the pool is warm.
/// </summary>
public sealed class LabelStorageTests
{
    private static readonly string Dir = TestEnvironment.TempDir("storage");

    private static long[] Values(int n, long max, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => random.NextInt64(0, max)).ToArray();
    }

    private static byte[] Encode(LabelDType dtype, long[] values, bool bigEndian)
    {
        var size = dtype.Size();
        var bytes = new byte[values.Length * size];
        for (var i = 0; i < values.Length; i++)
        {
            var span = bytes.AsSpan(i * size, size);
            switch (dtype)
            {
                case LabelDType.UInt8: span[0] = (byte)values[i]; break;
                case LabelDType.UInt16 when bigEndian: BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)values[i]); break;
                case LabelDType.UInt16: BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)values[i]); break;
                case LabelDType.Int32 when bigEndian: BinaryPrimitives.WriteInt32BigEndian(span, (int)values[i]); break;
                case LabelDType.Int32: BinaryPrimitives.WriteInt32LittleEndian(span, (int)values[i]); break;
                case LabelDType.Int64 when bigEndian: BinaryPrimitives.WriteInt64BigEndian(span, values[i]); break;
                default: BinaryPrimitives.WriteInt64LittleEndian(span, values[i]); break;
            }
        }
        return bytes;
    }

    private static long[] Read(LabelArray a) => a.DType switch
    {
        LabelDType.UInt8 => a.Labels<byte>().ToArray().Select(v => (long)v).ToArray(),
        LabelDType.UInt16 => a.Labels<ushort>().ToArray().Select(v => (long)v).ToArray(),
        LabelDType.Int32 => a.Labels<int>().ToArray().Select(v => (long)v).ToArray(),
        _ => a.Labels<long>().ToArray(),
    };

    private static string WriteNpy(string name, string descr, long[] shape, byte[] data, int headerPad)
    {
        var path = Path.Combine(Dir, name);
        LabelFiles.WriteNpy(path, descr, shape, data, headerPad);
        return path;
    }

    [Theory]
    [InlineData("|u1", LabelDType.UInt8, false)]
    [InlineData("<u2", LabelDType.UInt16, false)]
    [InlineData(">u2", LabelDType.UInt16, true)]
    [InlineData("<i4", LabelDType.Int32, false)]
    [InlineData(">i4", LabelDType.Int32, true)]
    [InlineData("<i8", LabelDType.Int64, false)]
    [InlineData(">i8", LabelDType.Int64, true)]
    public void Npy_reads_the_same_labels_mapped_and_pooled_at_any_data_offset(string descr, LabelDType dtype, bool bigEndian)
    {
        var values = Values(3 * 4099, dtype == LabelDType.UInt8 ? 256 : 60000, seed: descr.GetHashCode(StringComparison.Ordinal));
        foreach (var pad in new[] { 0, 1, 7, 4100 }) // data offsets not aligned to a label, and past a page
        {
            var path = WriteNpy($"{descr[1..]}-{bigEndian}-{pad}.npy", descr, [3, 4099], Encode(dtype, values, bigEndian), pad);
            foreach (var map in new[] { true, false })
            {
                using var a = NpyReader.Read(path, memoryMap: map);
                Assert.Equal(dtype, a.DType);
                Assert.Equal([3L, 4099], a.Shape);
                Assert.Equal(values, Read(a));
            }
        }
    }

    [Theory]
    [InlineData(LabelDType.UInt8)]
    [InlineData(LabelDType.UInt16)]
    [InlineData(LabelDType.Int64)]
    public void Raw_files_read_the_same_labels_mapped_and_pooled(LabelDType dtype)
    {
        var values = Values(64 * 65, 200, seed: (int)dtype);
        var path = Path.Combine(Dir, $"raw-{dtype}.bin");
        File.WriteAllBytes(path, Encode(dtype, values, bigEndian: false));
        var layout = new RawLayout([64, 65], dtype);
        foreach (var map in new[] { true, false })
        {
            using var a = RawReader.Read(path, layout, memoryMap: map);
            Assert.Equal(values, Read(a));
            Assert.Equal(values[100..110], a.DType switch
            {
                LabelDType.UInt8 => a.Labels<byte>(100, 10).ToArray().Select(v => (long)v).ToArray(),
                LabelDType.UInt16 => a.Labels<ushort>(100, 10).ToArray().Select(v => (long)v).ToArray(),
                _ => a.Labels<long>(100, 10).ToArray(),
            });
        }
    }

    [Fact]
    public void An_empty_npy_array_reads_as_zero_labels_either_way()
    {
        var path = WriteNpy("empty.npy", "|u1", [0], [], 0);
        foreach (var map in new[] { true, false })
        {
            using var a = NpyReader.Read(path, memoryMap: map);
            Assert.Equal(0, a.Length);
            Assert.Empty(Read(a));
        }
    }

    [Fact]
    public void A_disposed_array_refuses_reads_and_disposing_twice_is_harmless()
    {
        var path = WriteNpy("disposed.npy", "|u1", [4], [1, 2, 3, 4], 0);
        foreach (var map in new[] { true, false })
        {
            var a = NpyReader.Read(path, memoryMap: map);
            Assert.Equal([1, 2, 3, 4], a.Labels<byte>().ToArray());
            a.Dispose();
            a.Dispose();
            Assert.Throws<ObjectDisposedException>(() => a.Bytes(0, 1).ToArray());
        }
        var mapped = NpyReader.Read(path, memoryMap: true);
        Assert.Throws<InvalidOperationException>(() => mapped.Labels<ushort>().ToArray()); // wrong element type
        Assert.Throws<ArgumentOutOfRangeException>(() => mapped.Bytes(2, 3).ToArray());
        mapped.Dispose();
    }

    /// <summary>
    /// Mapping a file populates its pages (MADV_POPULATE_READ) on the thread that maps it, the
    /// decode stage, so that the thread that then counts the labels takes no page faults. The
    /// check is the kernel's own account of the mapping (/proc/self/smaps): populated, the whole
    /// file is resident in it before one byte is read; a fresh map that nothing has touched has
    /// no page in it. (A count of the reading thread's page faults, tried first, depended on the
    /// kernel's page-cache folio sizes and on the JIT touching fresh pages on that thread.)
    /// Populating is best effort: where the kernel refuses the advice (EINVAL before Linux 5.14,
    /// EPERM/ENOSYS under a seccomp filter) the map must still read correctly.
    /// </summary>
    [Fact]
    public void Mapping_a_file_populates_its_pages_before_they_are_read()
    {
        if (!OperatingSystem.IsLinux()) return;
        var data = new byte[4 << 20];
        new Random(5).NextBytes(data);
        var path = WriteNpy("populated.npy", "|u1", [data.Length], data, 3);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        using var map = MappedLabelFile.Map(stream, 0, stream.Length);
        var errno = map.PopulateError;
        if (errno == 0)
            Assert.True(ResidentKiB(path) >= stream.Length / 1024,
                $"{ResidentKiB(path)} KiB resident of a {stream.Length / 1024} KiB map the kernel said it populated");
        else
            Assert.True(errno is 22 or 1 or 38, $"madvise(MADV_POPULATE_READ) failed with errno {errno}");
        Assert.Equal(data, map.Span(stream.Length - data.Length, data.Length).ToArray()); // the data follow the header
    }

    /// <summary>The Rss of this process's mappings of <paramref name="path"/>, from /proc/self/smaps.</summary>
    private static long ResidentKiB(string path)
    {
        long kib = 0;
        var inMapping = false;
        foreach (var line in File.ReadLines("/proc/self/smaps"))
        {
            if (line.Length > 0 && char.IsAsciiHexDigit(line[0]) && line.Contains('-'))
                inMapping = line.EndsWith(" " + path, StringComparison.Ordinal);
            else if (inMapping && line.StartsWith("Rss:", StringComparison.Ordinal))
                kib += long.Parse(line[4..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        return kib;
    }

    [Fact]
    public void A_mapped_file_can_be_deleted_after_its_array_is_disposed()
    {
        var path = WriteNpy("deleted.npy", "|u1", [2], [7, 8], 0);
        var a = NpyReader.Read(path, memoryMap: true);
        a.Dispose();
        File.Delete(path);
        Assert.False(File.Exists(path));
    }

    [Theory]
    [InlineData(Dataset.Format.NpyU8, true)]
    [InlineData(Dataset.Format.NpyU8, false)]
    [InlineData(Dataset.Format.NpyU16, false)]
    [InlineData(Dataset.Format.PngGray8, false)]
    [InlineData(Dataset.Format.PngGray16, false)]
    public void Reading_a_dataset_allocates_next_to_nothing_per_image_once_the_pool_is_warm(Dataset.Format format, bool map)
    {
        // 512×512 maps: without pooling every image would allocate at least its 256K labels.
        var ds = new Dataset(TestEnvironment.TempDir("alloc"), format, 12, 512, 512, 19, seed: 3);
        var ext = format.ToString().StartsWith("Png", StringComparison.Ordinal) ? "*.png" : "*.npy";
        var pairs = Directory.GetFiles(ds.GroundTruthDir, ext, SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(g => new FilePair(g, g.Replace(ds.GroundTruthDir, ds.PredictionDir))).ToArray();
        long checksum = 0;
        void ReadAll()
        {
            foreach (var pair in pairs)
            {
                var (gt, pred) = LabelFileReader.ReadPair(pair, null, map);
                checksum += gt.Bytes(0, gt.Length)[^1] + pred.Bytes(0, pred.Length)[0];
                gt.Dispose();
                pred.Dispose();
            }
        }
        ReadAll(); // warms the pool
        var before = GC.GetAllocatedBytesForCurrentThread();
        ReadAll();
        var perPair = (GC.GetAllocatedBytesForCurrentThread() - before) / pairs.Length;
        Assert.True(perPair < 64 * 1024, $"{perPair} bytes allocated per pair of 512×512 {format} maps (checksum {checksum})");
    }
}
