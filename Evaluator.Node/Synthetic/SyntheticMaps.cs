namespace Evaluator.Node.Synthetic;

/// <summary>The shape of a synthetic label map.</summary>
internal enum MapKind
{
    /// <summary>Cityscapes-like: piecewise-constant regions, predictions off at the edges.</summary>
    Blobby,

    /// <summary>Every pixel an independent uniform draw: the kernel's worst case.</summary>
    Uniform,
}

/// <summary>
/// Deterministic synthetic ground-truth/prediction pairs of uint8 labels, for the demo, the
/// benchmarks and tests. The same (seed, index) always gives the same pair.
/// </summary>
internal sealed class SyntheticMaps(MapKind kind, int numClasses, int width, int height, double ignoreFraction,
    byte ignoreLabel = 255, int seed = 1)
{
    /// <summary>Side of the square regions of a blobby map, in pixels.</summary>
    public const int RegionSize = 64;

    public int PixelsPerImage => width * height;

    /// <summary>Writes image <paramref name="index"/> into the two buffers (each width × height).</summary>
    public void Fill(int index, Span<byte> groundTruth, Span<byte> prediction)
    {
        if (groundTruth.Length < PixelsPerImage || prediction.Length < PixelsPerImage)
            throw new ArgumentException("buffers smaller than one image");
        var rng = new Random(HashCode.Combine(seed, index, numClasses, kind));
        if (kind == MapKind.Uniform) FillUniform(rng, groundTruth, prediction);
        else FillBlobby(rng, groundTruth, prediction);
    }

    public (byte[] GroundTruth, byte[] Prediction) Create(int index)
    {
        var g = new byte[PixelsPerImage];
        var p = new byte[PixelsPerImage];
        Fill(index, g, p);
        return (g, p);
    }

    private void FillUniform(Random rng, Span<byte> gt, Span<byte> pred)
    {
        for (var i = 0; i < PixelsPerImage; i++)
        {
            gt[i] = rng.NextDouble() < ignoreFraction ? ignoreLabel : (byte)rng.Next(numClasses);
            pred[i] = (byte)rng.Next(numClasses);
        }
    }

    /// <summary>
    /// A grid of RegionSize² regions, each one class (a share of them ignored). The prediction
    /// copies the ground truth, but in some regions the left neighbour's class bleeds in over
    /// a few columns (boundary errors), and a few regions are predicted as another class.
    /// </summary>
    private void FillBlobby(Random rng, Span<byte> gt, Span<byte> pred)
    {
        var cols = (width + RegionSize - 1) / RegionSize;
        var rows = (height + RegionSize - 1) / RegionSize;
        var truth = new byte[rows * cols];
        var predicted = new byte[rows * cols];
        var bleed = new int[rows * cols];
        for (var r = 0; r < truth.Length; r++)
        {
            var ignored = rng.NextDouble() < ignoreFraction;
            var cls = (byte)rng.Next(numClasses);
            truth[r] = ignored ? ignoreLabel : cls;
            predicted[r] = rng.NextDouble() < 0.05 ? (byte)rng.Next(numClasses) : cls;
            bleed[r] = rng.NextDouble() < 0.3 ? rng.Next(1, RegionSize / 4) : 0;
        }

        for (var y = 0; y < height; y++)
        {
            var gRow = gt.Slice(y * width, width);
            var pRow = pred.Slice(y * width, width);
            var ry = y / RegionSize;
            var jitter = (y * 7 + ry * 13) % 5; // edges that are not perfectly vertical
            for (var rx = 0; rx < cols; rx++)
            {
                var region = ry * cols + rx;
                var x0 = rx * RegionSize;
                var x1 = Math.Min(width, x0 + RegionSize);
                gRow[x0..x1].Fill(truth[region]);
                pRow[x0..x1].Fill(predicted[region]);
                var b = bleed[region] == 0 ? 0 : Math.Min(x1 - x0, bleed[region] + jitter);
                if (b > 0 && rx > 0) pRow.Slice(x0, b).Fill(predicted[region - 1]);
            }
        }
    }
}
