using System.Collections.Immutable;

namespace Evaluator.Messages.Protocol;

/// <summary>Persisted: the run was created.</summary>
public sealed record RunStarted(StartRun Start) : IEvaluatorMessage;

/// <summary>Persisted: a partial with a higher watermark than the one held.</summary>
public sealed record PartialRecorded(PartitionPartial Partial) : IEvaluatorMessage;

/// <summary>Persisted: the run stopped on bad input.</summary>
public sealed record RunFailed(int Partition, string Error) : IEvaluatorMessage;

/// <summary>Persisted: a failed run was started again (same fingerprint), possibly with --skip-bad.</summary>
public sealed record RunResumed(bool SkipBad) : IEvaluatorMessage;

/// <summary>Persisted: a resume was accepted whose pairs not yet counted changed; they are identified so now.</summary>
public sealed record RunRestamped(ImmutableArray<PairStamp> Stamps) : IEvaluatorMessage
{
    public bool Equals(RunRestamped? o) => o is not null && Stamps.SequenceEqual(o.Stamps);

    public override int GetHashCode() => Stamps.Length;
}

/// <summary>Persisted snapshot of the coordinator's whole state (bounds recovery time).</summary>
public sealed record CoordinatorSnapshot(StartRun Start, ImmutableArray<PartitionPartial> Partials, RunStatus Status,
    string? Error, long SnapshotNumber) : IEvaluatorMessage
{
    public bool Equals(CoordinatorSnapshot? o) =>
        o is not null && Start.Equals(o.Start) && Partials.SequenceEqual(o.Partials) && Status == o.Status
        && Error == o.Error && SnapshotNumber == o.SnapshotNumber;

    public override int GetHashCode() => HashCode.Combine(Start, Status);
}

/// <summary>Persisted: the run was cancelled; partials arriving later are not counted.</summary>
public sealed record RunCancelled(string Reason) : IEvaluatorMessage;

/// <summary>Persisted: an ingest run received no batch for <paramref name="Idle"/> and was abandoned.</summary>
public sealed record RunAbandoned(TimeSpan Idle) : IEvaluatorMessage;
