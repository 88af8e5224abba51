using System.Collections.Immutable;
using Evaluator.Messages.Cityscapes;

namespace Evaluator.Messages.Protocol;

/// <summary>
/// A partition's cumulative state: its matrix holds exactly batches [0, Watermark). The
/// coordinator keeps, per partition, the one with the highest watermark. In a per-image run a
/// shard's partial also carries <see cref="Images"/>: the results of its pairs not yet
/// acknowledged (seq in [acknowledged watermark, Watermark)), which the coordinator journals once
/// and never keeps in its state.
/// </summary>
public sealed record PartitionPartial(string RunId, int Partition, long Watermark, ConfusionMatrix Matrix,
    PixelCounts Pixels, ImmutableArray<BadPair> BadPairs, bool Final) : IRunMessage
{
    /// <summary>Per-image runs: the results of the pairs this partial adds, in seq order (empty otherwise).</summary>
    public ImmutableArray<ImageResult> Images { get; init; } = [];

    /// <summary>Boundary IoU runs: the partition's per-class boundary sums over batches [0, Watermark) (null otherwise).</summary>
    public BoundaryCounts? Boundary { get; init; }

    /// <summary>Cityscapes protocol runs: the partition's instance statistics over batches [0, Watermark) (null otherwise).</summary>
    public CityscapesInstanceStats? Cityscapes { get; init; }

    public static PartitionPartial Empty(string runId, int partition, int numClasses) =>
        new(runId, partition, 0, new ConfusionMatrix(numClasses), PixelCounts.Zero, [], false);

    public bool Equals(PartitionPartial? o) =>
        o is not null && RunId == o.RunId && Partition == o.Partition && Watermark == o.Watermark
        && Matrix.Equals(o.Matrix) && Pixels == o.Pixels && BadPairs.SequenceEqual(o.BadPairs) && Final == o.Final
        && Images.SequenceEqual(o.Images) && Equals(Boundary, o.Boundary) && Equals(Cityscapes, o.Cityscapes);

    public override int GetHashCode() => HashCode.Combine(RunId, Partition, Watermark, Final);
}

/// <summary>The coordinator's reply to a partial: it holds (at least) this watermark, persisted.</summary>
public sealed record PartialAccepted(string RunId, int Partition, long Watermark, bool Final) : IPartitionMessage;

/// <summary>A partition stopped on bad input; its last partial is kept.</summary>
public sealed record PartitionFailed(string RunId, int Partition, long Watermark, string Error) : IRunMessage;

/// <summary>Creates a run, or resumes the run of that id if it has the same fingerprint.</summary>
/// <remarks>
/// An <see cref="Ingest"/> run has no files: clients push its batches (HTTP) until it is completed.
/// <see cref="Stamps"/> identify the content of every pair (in the order of the partitions'
/// pairs, one after the other) when the run was created; empty for ingest runs and for runs
/// created before stamps were recorded. <see cref="PerImage"/>: the shards record every pair's
/// own result too (for the per-image JSONL file and the report's worst images).
/// </remarks>
public sealed record StartRun(string RunId, RunSpec Spec, ImmutableArray<PartitionAssignment> Partitions,
    long ExpectedPixels, string Fingerprint, bool SkipBad, bool Ingest = false, ImmutableArray<PairStamp> Stamps = default,
    bool PerImage = false)
    : IRunMessage
{
    public ImmutableArray<PairStamp> Stamps { get; init; } = Stamps.IsDefault ? [] : Stamps;

    /// <summary>Per-image runs: the --gt directory (absolute) the per-image file names images relative to ("" if unknown).</summary>
    public string GroundTruthRoot { get; init; } = "";

    /// <summary>Per-image runs: the --pred directory (absolute) the per-image file names predictions relative to.</summary>
    public string PredictionRoot { get; init; } = "";

    /// <summary>Boundary IoU runs: the dilation ratio of the boundary regions (null: no boundary IoU).</summary>
    public double? BoundaryDilation { get; init; }

    /// <summary>Cityscapes protocol runs (--protocol cityscapes): the shards add up the pairs' instance statistics.</summary>
    public bool CityscapesProtocol { get; init; }

    public bool Equals(StartRun? o) =>
        o is not null && RunId == o.RunId && Spec.Equals(o.Spec) && Partitions.SequenceEqual(o.Partitions)
        && ExpectedPixels == o.ExpectedPixels && Fingerprint == o.Fingerprint && SkipBad == o.SkipBad
        && Ingest == o.Ingest && Stamps.SequenceEqual(o.Stamps) && PerImage == o.PerImage
        && GroundTruthRoot == o.GroundTruthRoot && PredictionRoot == o.PredictionRoot
        && BoundaryDilation == o.BoundaryDilation && CityscapesProtocol == o.CityscapesProtocol;

    public override int GetHashCode() => HashCode.Combine(RunId, Fingerprint);
}

public sealed record RunAccepted(string RunId, bool Resumed, RunSnapshot Snapshot) : IRunMessage;

public sealed record RunRejected(string RunId, string Reason) : IRunMessage;

/// <summary>
/// A resume refused because files of pairs already counted changed since the run was created
/// (<see cref="Files"/>: up to ten of them); resuming would mix old and new data.
/// </summary>
public sealed record RunInputsChanged(string RunId, string Reason, ImmutableArray<string> Files) : IRunMessage
{
    public bool Equals(RunInputsChanged? o) =>
        o is not null && RunId == o.RunId && Reason == o.Reason && Files.SequenceEqual(o.Files);

    public override int GetHashCode() => HashCode.Combine(RunId, Reason);
}

/// <summary>Asks for the run's latest snapshot; answered by a <see cref="RunSnapshot"/> or <see cref="RunUnknown"/>.</summary>
public sealed record GetSnapshot(string RunId) : IRunMessage;

public sealed record RunUnknown(string RunId) : IRunMessage;

public enum RunStatus : byte
{
    Running = 1,
    Completed = 2,
    Failed = 3,

    /// <summary>Stopped on request (POST /runs/{id}/cancel, <c>cancel</c>): what was committed stays.</summary>
    Cancelled = 4,

    /// <summary>An ingest run that received no batch for evaluator.ingest-idle-timeout.</summary>
    Abandoned = 5,
}

/// <summary>Per-partition progress in a snapshot.</summary>
public sealed record PartitionProgress(int Partition, long Watermark, long Batches, long Pixels, bool Final);

/// <summary>
/// A consistent cut of a run (an exact prefix of every partition): the exact total matrix,
/// pixel counts and progress. <see cref="Number"/> increases with every snapshot of a run.
/// </summary>
public sealed record RunSnapshot(string RunId, long Number, DateTimeOffset Time, RunSpec Spec, ConfusionMatrix Matrix,
    PixelCounts Pixels, long ExpectedPixels, ImmutableArray<PartitionProgress> Partitions,
    ImmutableArray<BadPair> BadPairs, RunStatus Status, string? Error) : IRunMessage
{
    public bool Final => Status != RunStatus.Running;

    /// <summary>Boundary IoU runs: the run's exact per-class boundary sums (null otherwise).</summary>
    public BoundaryCounts? Boundary { get; init; }

    /// <summary>Boundary IoU runs: the dilation ratio.</summary>
    public double? BoundaryDilation { get; init; }

    /// <summary>Cityscapes protocol runs: the run's exact instance statistics (null otherwise).</summary>
    public CityscapesInstanceStats? Cityscapes { get; init; }

    public MetricReport ToReport() =>
        MetricReport.Compute(Spec, Matrix, Pixels, RunId).WithBoundary(Boundary, BoundaryDilation).WithCityscapes(Cityscapes);

    public bool Equals(RunSnapshot? o) =>
        o is not null && RunId == o.RunId && Number == o.Number && Time == o.Time && Spec.Equals(o.Spec)
        && Matrix.Equals(o.Matrix) && Pixels == o.Pixels && ExpectedPixels == o.ExpectedPixels
        && Partitions.SequenceEqual(o.Partitions) && BadPairs.SequenceEqual(o.BadPairs) && Status == o.Status
        && Error == o.Error && Equals(Boundary, o.Boundary) && BoundaryDilation == o.BoundaryDilation
        && Equals(Cityscapes, o.Cityscapes);

    public override int GetHashCode() => HashCode.Combine(RunId, Number);
}
