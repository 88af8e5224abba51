using Evaluator.Messages;

namespace Evaluator.Node.Kernel;

/// <summary>
/// Turns raw label values into codes the counting loop indexes with: a class id in [0, C),
/// <see cref="Ignored"/> (= C) for an ignored ground-truth pixel, or <see cref="OutOfRange"/>
/// (= C + 1). The label map, the ignore set and the range check are all folded into this one
/// function, and into lookup tables over it, so the hot loop does no branching on them.
/// </summary>
internal sealed class LabelCoder
{
    /// <summary>Raw values in [0, LutSize) are looked up; others are classified on the fly.</summary>
    public const int LutSize = 1 << 16;

    private readonly RunSpec _spec;
    private readonly ushort[] _gtLut = new ushort[LutSize];
    private readonly ushort[] _predLut = new ushort[LutSize];

    public LabelCoder(RunSpec spec)
    {
        _spec = spec;
        NumClasses = spec.NumClasses;
        Ignored = spec.NumClasses;
        OutOfRange = spec.NumClasses + 1;
        for (var v = 0; v < LutSize; v++)
        {
            _gtLut[v] = (ushort)ClassifyGroundTruth(v);
            _predLut[v] = (ushort)ClassifyPrediction(v);
        }
    }

    public int NumClasses { get; }
    public int Ignored { get; }
    public int OutOfRange { get; }

    /// <summary>Lookup table over raw values [0, 65536) for ground truth.</summary>
    public ReadOnlySpan<ushort> GroundTruthTable => _gtLut;

    /// <summary>Lookup table over raw values [0, 65536) for predictions.</summary>
    public ReadOnlySpan<ushort> PredictionTable => _predLut;

    public int GroundTruthCode(long raw) => (ulong)raw < LutSize ? _gtLut[raw] : ClassifyGroundTruth(raw);

    public int PredictionCode(long raw) => (ulong)raw < LutSize ? _predLut[raw] : ClassifyPrediction(raw);

    /// <summary>Ground truth: label map first, then the ignore set, then the range check.</summary>
    private int ClassifyGroundTruth(long raw)
    {
        long v;
        if (_spec.LabelMap is { } map)
        {
            if (map.Apply(raw) is not { } mapped) return Ignored;
            v = mapped;
        }
        else
        {
            v = raw;
        }
        if (_spec.IgnoreLabels.Contains(v)) return Ignored;
        return v >= 0 && v < NumClasses ? (int)v : OutOfRange;
    }

    /// <summary>
    /// Predictions: mapped only when the spec says so; a prediction is never "ignored", so
    /// anything outside [0, C) is out of range.
    /// </summary>
    private int ClassifyPrediction(long raw)
    {
        var v = raw;
        if (_spec.MapPredictions && _spec.LabelMap is { } map)
        {
            if (map.Apply(raw) is not { } mapped) return OutOfRange;
            v = mapped;
        }
        return v >= 0 && v < NumClasses ? (int)v : OutOfRange;
    }
}
