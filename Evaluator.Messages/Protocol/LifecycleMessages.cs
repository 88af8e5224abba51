namespace Evaluator.Messages.Protocol;

/// <summary>
/// Stops a running run: its partitions stop, what was committed stays, and it is
/// <see cref="RunStatus.Cancelled"/>. Answered by the run's <see cref="RunSnapshot"/> (also when it
/// was cancelled already), a <see cref="RunRejected"/> when it has finished otherwise, or
/// <see cref="RunUnknown"/>.
/// </summary>
public sealed record CancelRun(string RunId) : IRunMessage;

/// <summary>
/// Deletes a finished run: its journal events and snapshots. Answered by <see cref="RunDeleted"/>,
/// <see cref="RunRejected"/> while it runs, or <see cref="RunUnknown"/>.
/// </summary>
public sealed record DeleteRun(string RunId) : IRunMessage;

/// <summary>The run's events and snapshots are deleted; its coordinator stopped.</summary>
public sealed record RunDeleted(string RunId) : IRunMessage;

/// <summary>
/// Marks a running ingest run <see cref="RunStatus.Abandoned"/> if nothing was persisted since the
/// sweep saw its journal at <see cref="SequenceNr"/> (a compare-and-set: a batch that arrived
/// meanwhile keeps it open). <see cref="Idle"/> is what the sweep measured, for the record.
/// Not answered.
/// </summary>
public sealed record AbandonRun(string RunId, long SequenceNr, TimeSpan Idle) : IRunMessage;
