using Evaluator.Messages.Cityscapes;

namespace Evaluator.Messages.Protocol;

/// <summary>
/// Starts (or re-kicks) a partition: its assignment, the spec and the coordinator's latest
/// partial to resume from. Idempotent: a shard already running ignores it. With
/// <see cref="PerImage"/> its ledger records every pair's own result.
/// </summary>
public sealed record StartPartition(string RunId, int Partition, RunSpec Spec, PartitionAssignment Assignment,
    PartitionPartial Resume, bool SkipBad, bool Ingest = false, bool PerImage = false) : IPartitionMessage
{
    /// <summary>Boundary IoU runs: the dilation ratio; the ledger sums each pair's boundary counts (null: none).</summary>
    public double? BoundaryDilation { get; init; }

    /// <summary>Cityscapes protocol runs: the ledger adds up each pair's instance statistics (carried by its batches).</summary>
    public bool CityscapesProtocol { get; init; }
}

/// <summary>
/// Batch <see cref="Seq"/> of a partition: one image pair (the partition's pairs are numbered
/// 0, 1, 2, … in file order). A large pair travels in <see cref="SliceCount"/> slices of labels
/// [Offset, Offset + Length) and is committed when its last slice is counted; a pair that
/// could not be read travels as one slice carrying <see cref="Bad"/> and no labels.
/// </summary>
public sealed record Batch(string RunId, int Partition, long Seq, int Slice, int SliceCount, string Source,
    LabelArray? GroundTruth, LabelArray? Prediction, int Offset, int Length, BadPair? Bad) : IPartitionMessage, ILocalMessage
{
    public bool IsLastSlice => Slice == SliceCount - 1;

    /// <summary>Cityscapes protocol runs: the whole pair's instance statistics (read with its instanceIds file), on every slice.</summary>
    public CityscapesInstanceStats? Cityscapes { get; init; }
}

/// <summary>Stops a partition's stream (its run failed elsewhere); it sends its last partial.</summary>
public sealed record StopPartition(string RunId, int Partition) : IPartitionMessage;

/// <summary>Stream protocol of Sink.ActorRefWithAck: first element.</summary>
public sealed record StreamInit(string RunId, int Partition) : IPartitionMessage, ILocalMessage;

/// <summary>Stream protocol: the acknowledgement that lets the next element come.</summary>
public sealed record StreamAck : IEvaluatorMessage, ILocalMessage
{
    public static StreamAck Instance { get; } = new();
}

/// <summary>Stream protocol: the partition's source is exhausted.</summary>
public sealed record StreamCompleted(string RunId, int Partition) : IPartitionMessage, ILocalMessage;

/// <summary>Stream protocol: the partition's source failed (bad input without --skip-bad).</summary>
public sealed record StreamFailed(string RunId, int Partition, string Error) : IPartitionMessage, ILocalMessage;
