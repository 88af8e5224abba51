namespace Evaluator.Messages.Protocol;

/// <summary>
/// A batch pushed by a client (HTTP ingest): labels of batch <see cref="Seq"/> of a partition.
/// Idempotent: a repeated or older seq is acknowledged without counting it again; a gap is
/// refused with the expected seq.
/// </summary>
public sealed record IngestBatch(string RunId, int Partition, long Seq, LabelArray GroundTruth, LabelArray Prediction,
    string Source) : IPartitionMessage;

/// <summary>A precomputed partial confusion matrix for batch <see cref="Seq"/> (a client that counts on a GPU).</summary>
public sealed record IngestMatrix(string RunId, int Partition, long Seq, ConfusionMatrix Matrix, PixelCounts Pixels)
    : IPartitionMessage
{
    public bool Equals(IngestMatrix? o) =>
        o is not null && RunId == o.RunId && Partition == o.Partition && Seq == o.Seq && Matrix.Equals(o.Matrix)
        && Pixels == o.Pixels;

    public override int GetHashCode() => HashCode.Combine(RunId, Partition, Seq);
}

public enum IngestOutcome : byte
{
    /// <summary>Counted, and the partition's new watermark is committed (persisted by the coordinator).</summary>
    Counted = 1,

    /// <summary>Already counted before: nothing changed.</summary>
    Duplicate = 2,

    /// <summary>A later seq than the next expected one: refused; <see cref="IngestResult.Watermark"/> is the expected seq.</summary>
    Gap = 3,

    /// <summary>Bad data (out-of-range labels, wrong size): refused, nothing counted.</summary>
    Invalid = 4,

    /// <summary>No such run, or the partition is not an ingest partition of it.</summary>
    UnknownRun = 5,

    /// <summary>The run is complete (or failed): no more batches.</summary>
    Closed = 6,
}

/// <summary>The answer to an ingest: always carries the partition's committed watermark.</summary>
public sealed record IngestResult(string RunId, int Partition, long Seq, IngestOutcome Outcome, long Watermark, string? Error)
    : IEvaluatorMessage;

/// <summary>A shard with nothing to do asks its coordinator to (re)start it.</summary>
public sealed record RequestStart(string RunId, int Partition) : IRunMessage;

/// <summary>Closes an ingest run: every partition ends at its current watermark.</summary>
public sealed record CompleteRun(string RunId) : IRunMessage;

/// <summary>Sent by the coordinator to each partition of a run being completed.</summary>
public sealed record CompletePartition(string RunId, int Partition) : IPartitionMessage;
