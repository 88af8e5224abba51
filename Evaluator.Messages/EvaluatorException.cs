namespace Evaluator.Messages;

/// <summary>
/// Base of every error the evaluator raises on purpose: bad specs, bad label maps, bad input
/// arrays, bad wire bytes. The message always names what is wrong and, where known, where.
/// </summary>
public abstract class EvaluatorException : Exception
{
    protected EvaluatorException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>A <see cref="RunSpec"/> that cannot describe a valid evaluation.</summary>
public sealed class InvalidRunSpecException(string message) : EvaluatorException(message);

/// <summary>A label map file or preset name that cannot be read.</summary>
public sealed class LabelMapFormatException(string source, string problem)
    : EvaluatorException($"label map '{source}': {problem}")
{
    public string MapSource { get; } = source;
}

/// <summary>Ground truth and prediction arrays of different sizes.</summary>
public sealed class ShapeMismatchException(string? source, long groundTruthLength, long predictionLength)
    : EvaluatorException(
        $"{Where(source)}ground truth has {groundTruthLength} pixels but prediction has {predictionLength}")
{
    public long GroundTruthLength { get; } = groundTruthLength;
    public long PredictionLength { get; } = predictionLength;

    internal static string Where(string? source) => source is null ? "" : $"{source}: ";
}

/// <summary>Which side of a pixel pair a label came from.</summary>
public enum LabelSide
{
    GroundTruth,
    Prediction,
}

/// <summary>
/// A label outside [0, C) that is not ignored, under the default out-of-range policy
/// <see cref="OutOfRangePolicy.Error"/>. Names the first offending value and its index.
/// </summary>
public sealed class LabelOutOfRangeException(string? source, LabelSide side, long index, long value, int numClasses)
    : EvaluatorException(
        $"{ShapeMismatchException.Where(source)}{(side == LabelSide.GroundTruth ? "ground-truth" : "prediction")} " +
        $"label {value} at pixel {index} is outside [0, {numClasses}) and not ignored " +
        "(use --ignore for it, or --out-of-range ignore to drop such pixels)")
{
    public LabelSide Side { get; } = side;
    public long Index { get; } = index;
    public long Value { get; } = value;
}

/// <summary>Bytes that are not a valid wire form of a value type.</summary>
public sealed class WireFormatException(string what, string problem)
    : EvaluatorException($"malformed {what}: {problem}");

/// <summary>An exact count that would not fit in int64: refused rather than wrapped.</summary>
public sealed class CountOverflowException(string what, Exception? inner = null)
    : EvaluatorException($"count overflow: {what} would exceed the int64 range", inner);

/// <summary>An input file that cannot be read as a label map: names the file and the problem.</summary>
public sealed class BadInputException(string file, string problem, Exception? inner = null)
    : EvaluatorException($"{file}: {problem}", inner)
{
    public string File { get; } = file;
    public string Problem { get; } = problem;
}
