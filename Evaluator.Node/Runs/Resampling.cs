using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Evaluator.Node.Runs;

/// <summary>What a bootstrap was asked for: how many resamples, the seed, the confidence level.</summary>
internal sealed record BootstrapOptions(int Resamples, long Seed, double Confidence)
{
    /// <summary>The seed when none is given: runs are reproducible by default.</summary>
    public const long DefaultSeed = 0;

    public const double DefaultConfidence = 0.95;

    /// <summary>The most resamples accepted (the results take 8 bytes per resample and class).</summary>
    public const int MaxResamples = 1_000_000;

    /// <summary>Why these options cannot be used, or null.</summary>
    public string? Problem() =>
        Resamples is < 1 or > MaxResamples
            ? $"--bootstrap {Resamples}: the number of resamples must be between 1 and {MaxResamples:N0}"
            : !(Confidence is > 0 and < 1)
                ? $"--confidence {Confidence.ToString(CultureInfo.InvariantCulture)}: must be strictly between 0 and 1 (e.g. 0.95)"
                : null;
}

/// <summary>
/// Resampling images with replacement, in parallel and deterministically: resample r draws n
/// image indices uniformly from its own random stream <see cref="StreamRandom.For"/>(seed, r),
/// giving the multinomial weights (how many times each image was drawn); a result is stored by r,
/// so neither the number of cores nor the scheduling changes any number.
/// </summary>
internal static class Resampling
{
    /// <summary>Calls <paramref name="body"/>(r, weights, local) for every resample r, on all cores.</summary>
    public static void ForEach<TLocal>(int images, int resamples, long seed, Func<TLocal> local, Action<int, int[], TLocal> body)
    {
        if (images <= 0) throw new ArgumentOutOfRangeException(nameof(images), images, "there is no image to resample");
        try
        {
            Parallel.For(0, resamples, () => (Weights: new int[images], Local: local()), (r, _, state) =>
            {
                Weights(images, seed, r, state.Weights);
                body(r, state.Weights, state.Local);
                return state;
            }, _ => { });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            throw;
        }
    }

    /// <summary>The weights of resample r: n uniform draws among the n images, counted per image.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Weights(int images, long seed, int resample, int[] weights)
    {
        Array.Clear(weights);
        var rng = StreamRandom.For(seed, resample);
        for (var k = 0; k < images; k++) weights[rng.NextBelow(images)]++;
    }
}

/// <summary>
/// Percentile intervals, by linear interpolation between the closest ranks: Hyndman and Fan's
/// type 7, numpy.percentile's default. Of the sorted values x[0..m-1], the q-quantile is
/// x[h0] + (h - h0)(x[h0 + 1] - x[h0]) with h = (m - 1) q, h0 = floor(h). The interval at
/// confidence c is [quantile((1 - c) / 2), quantile((1 + c) / 2)]. Undefined values (NaN: an IoU
/// whose class is absent from a resample) are left out; no defined value gives no interval.
/// </summary>
internal static class Percentile
{
    public static Messages.ConfidenceInterval? Interval(ReadOnlySpan<double> values, double confidence)
    {
        var defined = new List<double>(values.Length);
        foreach (var v in values)
        {
            if (!double.IsNaN(v)) defined.Add(v);
        }
        if (defined.Count == 0) return null;
        defined.Sort();
        return new(Quantile(defined, (1 - confidence) / 2), Quantile(defined, (1 + confidence) / 2));
    }

    /// <summary>The q-quantile (type 7) of sorted values.</summary>
    public static double Quantile(IReadOnlyList<double> sorted, double q)
    {
        var h = (sorted.Count - 1) * q;
        var lo = (int)Math.Floor(h);
        if (lo >= sorted.Count - 1) return sorted[^1];
        return sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]);
    }
}
