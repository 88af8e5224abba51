using System.Collections.Immutable;

namespace Evaluator.Messages.Protocol;

/// <summary>A ground-truth file and its prediction. An empty prediction path means "missing partner".</summary>
public sealed record FilePair(string GroundTruth, string Prediction)
{
    public string Name => Path.GetFileName(GroundTruth);
}

/// <summary>
/// What identifies the content of a pair's files when its run was created: their sizes and
/// last-write times (UTC ticks; -1 for a file that could not be read, 0 for an absent partner).
/// A resume whose counted pairs no longer match is refused (a same-size rewrite that also keeps
/// the modification time is not detected: nothing short of hashing every file would).
/// </summary>
public sealed record PairStamp(long GroundTruthLength, long GroundTruthTicks, long PredictionLength, long PredictionTicks);

/// <summary>A pair that could not be counted, and why (recorded with --skip-bad).</summary>
public sealed record BadPair(string GroundTruth, string Prediction, string Error);

/// <summary>The shape and dtype of raw label files (<c>--shape H,W --dtype uint8</c>).</summary>
public sealed record RawLayout(ImmutableArray<long> Shape, LabelDType DType)
{
    public long Count => Shape.Aggregate(1L, (a, b) => checked(a * b));
    public string ShapeText => "(" + string.Join(", ", Shape) + ")";

    public bool Equals(RawLayout? other) => other is not null && DType == other.DType && Shape.SequenceEqual(other.Shape);
    public override int GetHashCode() => HashCode.Combine(DType, Shape.Length);
}

/// <summary>
/// One partition of a run: a deterministic slice of the sorted pair list, cut into batches of
/// <see cref="BatchPixels"/>. Batches are numbered 0, 1, 2, … in file order.
/// </summary>
public sealed record PartitionAssignment(int Partition, ImmutableArray<FilePair> Pairs, int BatchPixels, RawLayout? Raw)
{
    public bool Equals(PartitionAssignment? other) =>
        other is not null && Partition == other.Partition && BatchPixels == other.BatchPixels
        && Equals(Raw, other.Raw) && Pairs.SequenceEqual(other.Pairs);

    public override int GetHashCode() => HashCode.Combine(Partition, BatchPixels, Pairs.Length);
}
