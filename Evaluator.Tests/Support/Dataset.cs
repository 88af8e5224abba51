using System.Runtime.InteropServices;
using Evaluator.Messages;
using Evaluator.Tests.Core;

namespace Evaluator.Tests.Support;

/// <summary>
/// A generated dataset on disk (gt/ and pred/ directories of pairs in one format) together with
/// the label values it holds, so tests can recount it independently of the product.
/// </summary>
public sealed class Dataset
{
    public enum Format { PngGray8, PngGray16, PngPalette, NpyU8, NpyU16, NpyI32, NpyI64, RawU8 }

    private readonly List<(long[] Gt, long[] Pred)> _pairs = [];

    public Dataset(string root, Format format, int pairs, int width, int height, int classes, int seed,
        long ignoreLabel = 255, double ignoreFraction = 0.05)
    {
        Root = root;
        DataFormat = format;
        Width = width;
        Height = height;
        GroundTruthDir = Path.Combine(root, "gt");
        PredictionDir = Path.Combine(root, "pred");
        Directory.CreateDirectory(GroundTruthDir);
        Directory.CreateDirectory(PredictionDir);
        var rng = new Random(seed);
        for (var i = 0; i < pairs; i++)
        {
            var n = width * height;
            var gt = new long[n];
            var pred = new long[n];
            for (var k = 0; k < n;)
            {
                var run = rng.Next(1, 60);
                var t = rng.NextDouble() < ignoreFraction ? ignoreLabel : rng.Next(classes);
                for (var j = 0; j < run && k < n; j++, k++)
                {
                    gt[k] = t;
                    pred[k] = rng.Next(8) == 0 ? rng.Next(classes) : t == ignoreLabel ? 0 : t;
                }
            }
            Directory.CreateDirectory(Path.Combine(GroundTruthDir, $"sub{i % 3}"));
            Directory.CreateDirectory(Path.Combine(PredictionDir, $"sub{i % 3}"));
            Write(Path.Combine(GroundTruthDir, Name(i)), format, width, height, gt);
            Write(Path.Combine(PredictionDir, Name(i)), format, width, height, pred);
            _pairs.Add((gt, pred));
        }
    }

    public string Root { get; }
    public string GroundTruthDir { get; }
    public string PredictionDir { get; }
    public Format DataFormat { get; }
    public int Width { get; }
    public int Height { get; }

    /// <summary>Relative path of pair <paramref name="i"/> without extension (the same on both sides).</summary>
    private static string Name(int i) => Path.Combine($"sub{i % 3}", $"img_{i:D4}");

    /// <summary>The ground-truth file of pair <paramref name="i"/> (absolute).</summary>
    public string GroundTruthPath(int i) => Path.GetFullPath(Path.Combine(GroundTruthDir, Name(i)) + Extension(DataFormat));

    /// <summary>The prediction file of pair <paramref name="i"/> (absolute).</summary>
    public string PredictionPath(int i) => Path.GetFullPath(Path.Combine(PredictionDir, Name(i)) + Extension(DataFormat));

    /// <summary>Pair indices in the order the product takes them (ordinal order of the ground-truth paths).</summary>
    public IReadOnlyList<int> SortedIndices =>
        [.. Enumerable.Range(0, _pairs.Count).OrderBy(GroundTruthPath, StringComparer.Ordinal)];

    /// <summary>Copies of the labels of pair <paramref name="i"/>.</summary>
    public (long[] GroundTruth, long[] Prediction) Labels(int i) => ((long[])_pairs[i].Gt.Clone(), (long[])_pairs[i].Pred.Clone());

    /// <summary>Overwrites both files of pair <paramref name="i"/> (same format and shape) and what the recount uses.</summary>
    public void Rewrite(int i, long[] groundTruth, long[] prediction)
    {
        if (groundTruth.Length != Width * Height || prediction.Length != Width * Height)
            throw new ArgumentException($"pair {i} needs {Width * Height} labels on each side");
        Write(Path.Combine(GroundTruthDir, Name(i)), DataFormat, Width, Height, groundTruth);
        Write(Path.Combine(PredictionDir, Name(i)), DataFormat, Width, Height, prediction);
        _pairs[i] = ((long[])groundTruth.Clone(), (long[])prediction.Clone());
    }

    public static string Extension(Format f) => f switch
    {
        Format.PngGray8 or Format.PngGray16 or Format.PngPalette => ".png",
        Format.RawU8 => ".raw",
        _ => ".npy",
    };

    public static void Write(string pathWithoutExtension, Format f, int width, int height, long[] values)
    {
        var path = pathWithoutExtension + Extension(f);
        switch (f)
        {
            case Format.PngGray8:
                LabelFiles.WritePng(path, width, height, LabelFiles.PngKind.Gray8, i => (int)values[i]);
                break;
            case Format.PngGray16:
                LabelFiles.WritePng(path, width, height, LabelFiles.PngKind.Gray16, i => (int)values[i]);
                break;
            case Format.PngPalette:
                LabelFiles.WritePng(path, width, height, LabelFiles.PngKind.Palette8, i => (int)values[i]);
                break;
            case Format.NpyU8:
                LabelFiles.WriteNpy(path, "|u1", [height, width], values.Select(v => (byte)v).ToArray());
                break;
            case Format.NpyU16:
                LabelFiles.WriteNpy(path, "<u2", [height, width], MemoryMarshal.AsBytes(values.Select(v => (ushort)v).ToArray().AsSpan()));
                break;
            case Format.NpyI32:
                LabelFiles.WriteNpy(path, "<i4", [height, width], MemoryMarshal.AsBytes(values.Select(v => (int)v).ToArray().AsSpan()));
                break;
            case Format.NpyI64:
                LabelFiles.WriteNpy(path, "<i8", [height, width], MemoryMarshal.AsBytes(values.AsSpan()));
                break;
            case Format.RawU8:
                File.WriteAllBytes(path, values.Select(v => (byte)v).ToArray());
                break;
        }
    }

    /// <summary>The independent recount of the pairs with these indices (all by default).</summary>
    public NaiveCount.Result Recount(RunSpec spec, IEnumerable<int>? only = null)
    {
        var chosen = (only ?? Enumerable.Range(0, _pairs.Count)).ToList();
        return NaiveCount.Run(spec, chosen.SelectMany(i => _pairs[i].Gt).ToList(), chosen.SelectMany(i => _pairs[i].Pred).ToList());
    }

    public int Count => _pairs.Count;
}
