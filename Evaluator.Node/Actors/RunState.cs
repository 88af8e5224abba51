using System.Collections.Immutable;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;

namespace Evaluator.Node.Actors;

/// <summary>
/// What a run's coordinator knows, and the one fold of its events: <see cref="CoordinatorActor"/>
/// applies its events here (after persisting them, and when recovering), and <c>runs</c> folds
/// the journal's events through the same transitions, so the two can never disagree.
/// Not thread-safe: it lives inside one actor or one command.
/// </summary>
internal sealed class RunState
{
    public StartRun? Start { get; private set; }

    /// <summary>The partial with the highest watermark of every partition (one per partition once started).</summary>
    public PartitionPartial[] Partials { get; private set; } = [];

    public RunStatus Status { get; private set; } = RunStatus.Running;

    public string? Error { get; private set; }

    public bool AllFinal => Partials.All(p => p.Final);

    /// <summary>Applies one of the coordinator's events; false for anything else.</summary>
    public bool Apply(object @event)
    {
        switch (@event)
        {
            case RunStarted s:
                ApplyStart(s.Start);
                return true;
            case PartialRecorded p:
                ApplyPartial(p.Partial);
                return true;
            case RunFailed f:
                ApplyFailed(f.Error);
                return true;
            case RunResumed r:
                ApplyResumed(r.SkipBad);
                return true;
            case RunRestamped t:
                ApplyRestamped(t.Stamps);
                return true;
            case RunCancelled c:
                ApplyCancelled(c.Reason);
                return true;
            case RunAbandoned a:
                ApplyAbandoned(a.Idle);
                return true;
            default:
                return false;
        }
    }

    public void ApplyStart(StartRun start)
    {
        Start = start;
        Partials = start.Partitions
            .Select(p => PartitionPartial.Empty(start.RunId, p.Partition, start.Spec.NumClasses)).ToArray();
        Status = RunStatus.Running;
    }

    public void ApplyPartial(PartitionPartial p)
    {
        // A journal written before totals were checked at ingest may hold a partial whose counts
        // cannot be represented: the run fails with the reason, and the partial is not kept
        // (so every total of the run stays an exact int64).
        if (Refusal(p) is { } refusal)
        {
            ApplyFailed(refusal);
            return;
        }
        // Per-image results are journalled, never held: the state stays one partial a partition.
        Partials[p.Partition] = p.Images.IsEmpty ? p : p with { Images = [] };
        if (Status == RunStatus.Running && AllFinal) Status = RunStatus.Completed;
    }

    /// <summary>
    /// Why <paramref name="p"/> cannot replace its partition's partial, or null: the run's totals
    /// (any pixel counter, the pixel total, and so any cell) would no longer fit an int64. A
    /// partial's matrix sums to its counted pixels (its ledger checks every batch), so every cell
    /// of the run's matrix is at most the run's counted total. Never throws; O(partitions).
    /// </summary>
    public string? Refusal(PartitionPartial p)
    {
        if (!p.Pixels.Representable)
            return $"count overflow: partition {p.Partition}'s pixel total would exceed the int64 range";
        // A boundary IoU run's partial past its first batch must carry its sums (else the run would undercount).
        if (Start?.BoundaryDilation is not null && p.Boundary is null && p.Watermark > 0)
            return $"partition {p.Partition}'s partial (watermark {p.Watermark}) carries no boundary IoU sums";
        // A Cityscapes protocol run's partial past its first batch must carry its instance statistics.
        if (Start?.CityscapesProtocol == true && p.Cityscapes is null && p.Watermark > 0)
            return $"partition {p.Partition}'s partial (watermark {p.Watermark}) carries no Cityscapes instance statistics";
        // Boundary sums: every class's union is at most the partition's counted pixels (the ledger
        // counts only counted pixels), so the run's sums are bounded by its counted total below.
        if (p.Boundary is { } b && (b.NumClasses != Partials[p.Partition].Matrix.NumClasses
                || b.Union.Any(u => u < 0 || u > p.Pixels.Counted) || b.Intersection.Where((x, c) => x < 0 || x > b.Union[c]).Any()))
            return $"partition {p.Partition}'s boundary IoU sums do not fit its counted pixels (watermark {p.Watermark})";
        Int128 counted = 0, ignored = 0, outOfRange = 0;
        foreach (var held in Partials)
        {
            var q = held.Partition == p.Partition ? p : held;
            counted += q.Pixels.Counted;
            ignored += q.Pixels.Ignored;
            outOfRange += q.Pixels.OutOfRange;
        }
        // Every cell of the sum is at most the counted total, so this bounds the matrix too.
        return counted + ignored + outOfRange > long.MaxValue
            ? $"count overflow: the run's pixel total would exceed the int64 range with partition {p.Partition}'s partial (watermark {p.Watermark})"
            : null;
    }

    public void ApplyFailed(string error)
    {
        Status = RunStatus.Failed;
        Error = error;
    }

    /// <summary>Stopped on request: the partials held stay; none is counted after.</summary>
    public void ApplyCancelled(string reason)
    {
        Status = RunStatus.Cancelled;
        Error = reason;
    }

    /// <summary>An ingest run no batch reached for <paramref name="idle"/>: closed as it stands.</summary>
    public void ApplyAbandoned(TimeSpan idle)
    {
        Status = RunStatus.Abandoned;
        Error = $"abandoned: no batch for {idle.TotalSeconds:0.#} s (evaluator.ingest-idle-timeout)";
    }

    /// <summary>Cancelled or abandoned: closed for good, partials after it are not counted.</summary>
    public bool Closed => Status is RunStatus.Cancelled or RunStatus.Abandoned;

    public void ApplyResumed(bool skipBad)
    {
        Start = Start! with { SkipBad = skipBad };
        Status = AllFinal ? RunStatus.Completed : RunStatus.Running;
        Error = null;
    }

    /// <summary>
    /// Whether two starts of a run over files count the same thing whatever their partitioning:
    /// the same spec and layout, the same per-image option, and the same pairs in the same order (partitions are
    /// consecutive slices of the sorted pair list).
    /// </summary>
    public static bool SameData(StartRun a, StartRun b) =>
        !a.Ingest && !b.Ingest && a.Spec.Equals(b.Spec) && a.PerImage == b.PerImage
        && a.BoundaryDilation == b.BoundaryDilation && a.CityscapesProtocol == b.CityscapesProtocol
        && a.Partitions.Select(p => p.Raw).Distinct().SequenceEqual(b.Partitions.Select(p => p.Raw).Distinct())
        && a.Partitions.SelectMany(p => p.Pairs).SequenceEqual(b.Partitions.SelectMany(p => p.Pairs));

    /// <summary>
    /// The refusal of a resume (<paramref name="resume"/>, over the same pairs) whose pairs already
    /// counted changed since the run was created (their stamps differ), or null. Pairs not yet
    /// counted may change (e.g. a bad file fixed): the run counts them as they are now. Runs
    /// without stamps (ingest, or created before stamps) cannot be checked.
    /// </summary>
    public RunInputsChanged? ChangedInputs(StartRun resume)
    {
        var start = Start!;
        var pairCount = start.Partitions.Sum(p => p.Pairs.Length);
        if (start.Stamps.Length != pairCount || resume.Stamps.Length != pairCount) return null;
        var changed = new List<string>();
        var total = 0;
        var offset = 0;
        foreach (var p in start.Partitions)
        {
            var counted = (int)Math.Min(Partials[p.Partition].Watermark, p.Pairs.Length);
            for (var j = 0; j < counted; j++)
            {
                var (was, now) = (start.Stamps[offset + j], resume.Stamps[offset + j]);
                if (was == now) continue;
                total++;
                if (changed.Count < 10)
                {
                    var pair = p.Pairs[j];
                    changed.Add(was.GroundTruthLength != now.GroundTruthLength || was.GroundTruthTicks != now.GroundTruthTicks
                        ? pair.GroundTruth
                        : pair.Prediction);
                }
            }
            offset += p.Pairs.Length;
        }
        if (total == 0) return null;
        var more = total > changed.Count ? $" and {total - changed.Count} more" : "";
        return new RunInputsChanged(start.RunId,
            $"{total} pair(s) already counted changed since the run was created (size or modification time): " +
            $"{string.Join(", ", changed)}{more}. Resuming would mix old and new data: restore the files, or start a new run (another --run-id)",
            [.. changed]);
    }

    public void ApplyRestamped(ImmutableArray<PairStamp> stamps) => Start = Start! with { Stamps = stamps };

    /// <summary>Restores the state a persistence snapshot holds.</summary>
    public void Restore(CoordinatorSnapshot s)
    {
        ApplyStart(s.Start);
        Status = s.Status;
        Error = s.Error;
        foreach (var p in s.Partials)
        {
            if (Refusal(p) is { } refusal) ApplyFailed(refusal);
            else Partials[p.Partition] = p;
        }
    }

    /// <summary>Boundary IoU runs: the exact per-class sums of the partials (checked); null for other runs.</summary>
    public Messages.Cityscapes.CityscapesInstanceStats? CityscapesTotal()
    {
        if (!Start!.CityscapesProtocol) return null;
        var sum = Messages.Cityscapes.CityscapesInstanceStats.Zero;
        foreach (var p in Partials)
        {
            if (p.Cityscapes is { } c) sum = sum.Add(c);
        }
        return sum;
    }

    /// <summary>Boundary IoU runs: the exact per-class sums of the partials (checked); null for other runs.</summary>
    public BoundaryCounts? BoundaryTotal()
    {
        if (Start!.BoundaryDilation is null) return null;
        var sum = BoundaryCounts.Zero(Start.Spec.NumClasses);
        foreach (var p in Partials)
        {
            if (p.Boundary is { } b) sum = sum.Add(b);
        }
        return sum;
    }

    /// <summary>The exact sum of the partials.</summary>
    public (ConfusionMatrix Matrix, PixelCounts Pixels) Total()
    {
        var m = new ConfusionMatrix(Start!.Spec.NumClasses);
        var pixels = PixelCounts.Zero;
        foreach (var p in Partials)
        {
            m.Merge(p.Matrix);
            pixels += p.Pixels;
        }
        return (m, pixels);
    }
}
