using Akka.Actor;
using Akka.Event;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Runtime;

namespace Evaluator.Node.Actors;

/// <summary>
/// The run lifecycle's sweep, a cluster singleton on the workers (one sweep for the cluster):
/// every evaluator.sweep-interval it reads the journal (the coordinators' own fold,
/// <see cref="RunState"/>) and asks the coordinators to delete finished runs older than
/// evaluator.retention (<see cref="DeleteRun"/>) and to abandon ingest runs that received nothing
/// for evaluator.ingest-idle-timeout (<see cref="AbandonRun"/>, a compare-and-set on the journal's
/// sequence number, so a batch that arrives meanwhile keeps the run open). Both are idempotent:
/// a sweep repeated by a new singleton after a hand-over does no harm.
/// </summary>
internal sealed class RunSweeperActor : ReceiveActor, IWithTimers
{
    private sealed record Tick
    {
        public static Tick Instance { get; } = new();
    }

    private sealed record Swept(IReadOnlyList<IRunMessage> Requests, IReadOnlyList<string> Unreadable);

    private readonly EvaluatorSettings _settings;
    private readonly IActorRef _coordinators;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private bool _sweeping;

    public RunSweeperActor(EvaluatorSettings settings, IActorRef coordinators)
    {
        _settings = settings;
        _coordinators = coordinators;
        Receive<Tick>(_ =>
        {
            if (_sweeping) return;
            _sweeping = true;
            var system = Context.System;
            var unreadable = new List<string>();
            SweepAsync(system, _settings, DateTimeOffset.UtcNow, unreadable)
                .PipeTo(Self, success: r => new Swept(r, unreadable), failure: e => new Status.Failure(e));
        });
        Receive<Swept>(s =>
        {
            _sweeping = false;
            foreach (var run in s.Unreadable) _log.Warning("sweep: run not read, left alone: {0}", run);
            foreach (var request in s.Requests)
            {
                _log.Info("sweep: {0}", request);
                _coordinators.Tell(request);
            }
        });
        Receive<Status.Failure>(f =>
        {
            _sweeping = false;
            _log.Warning("sweep: journal not read: {0}", f.Cause.Message);
        });
        Receive<RunDeleted>(d => _log.Info("sweep: run {0} deleted (retention)", d.RunId));
        Receive<RunRejected>(r => _log.Warning("sweep: {0}", r.Reason));
        Receive<RunUnknown>(_ => { });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(EvaluatorSettings settings, IActorRef coordinators) =>
        Akka.Actor.Props.Create(() => new RunSweeperActor(settings, coordinators));

    /// <summary>
    /// The first sweep after one interval, not at once: a short-lived node (evaluate, cancel,
    /// delete on a local journal) does not read the whole journal at its start.
    /// </summary>
    protected override void PreStart() =>
        Timers.StartPeriodicTimer("sweep", Tick.Instance, _settings.SweepInterval);

    /// <summary>What the journal's runs need at <paramref name="now"/>: deletions and abandonments.</summary>
    /// <param name="unreadable">Collects the runs whose events could not be read (and the reason); they are left alone.</param>
    public static async Task<IReadOnlyList<IRunMessage>> SweepAsync(ActorSystem system, EvaluatorSettings settings,
        DateTimeOffset now, ICollection<string>? unreadable = null, CancellationToken cancel = default)
    {
        var requests = new List<IRunMessage>();
        foreach (var (runId, run, error) in await JournalRuns.FoldAllAsync(system, cancel))
        {
            // One run this node cannot read (e.g. events of a newer version) does not stop the sweep of the others.
            if (run is null) unreadable?.Add($"{EntityIds.RunPersistenceId(runId)}: {error}");
            else if (Decide(runId, run.State, run.Finished, run.LastEvent, run.SequenceNr, settings, now) is { } request)
                requests.Add(request);
        }
        return requests;
    }

    /// <summary>The request one run needs, or null.</summary>
    public static IRunMessage? Decide(string runId, RunState state, DateTimeOffset? finished, DateTimeOffset? lastEvent,
        long sequenceNr, EvaluatorSettings settings, DateTimeOffset now)
    {
        if (state.Start is null) return null;
        if (state.Status != RunStatus.Running)
        {
            return settings.Retention != Timeout.InfiniteTimeSpan && finished is { } f && now - f > settings.Retention
                ? new DeleteRun(runId)
                : null;
        }
        return state.Start.Ingest && settings.IngestIdleTimeout != Timeout.InfiniteTimeSpan && lastEvent is { } l
               && now - l > settings.IngestIdleTimeout
            ? new AbandonRun(runId, sequenceNr, now - l)
            : null;
    }
}
