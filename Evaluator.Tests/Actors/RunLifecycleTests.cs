using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.TestKit;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Actors;
using Evaluator.Node.Runs;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Actors;

/// <summary>
/// A run's lifecycle on its coordinator under TestKit with a real SQLite journal: cancel (what was
/// committed stays, later partials are not counted), delete (events and snapshots gone, for good),
/// abandon (a compare-and-set on the journal), and the sweep that asks for the last two.
/// </summary>
public sealed class RunLifecycleTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly RunSpec Spec = new(3);
    private static readonly TimeSpan FirstWrite = TimeSpan.FromSeconds(20);
    private readonly TestProbe _shards;
    private readonly TestProbe _mediator;
    private readonly string _dir;
    private readonly string _runId = "life-" + Guid.NewGuid().ToString("N")[..8];

    public RunLifecycleTests() : this(TestEnvironment.TempDir("journal"))
    {
    }

    private RunLifecycleTests(string dir) : base(TestConfigs.LocalWithJournal(dir))
    {
        _dir = dir;
        _shards = CreateTestProbe("shards");
        _mediator = CreateTestProbe("mediator");
    }

    private IActorRef Coordinator(string? runId = null) =>
        Sys.ActorOf(CoordinatorActor.Props(runId ?? _runId, TestConfigs.Settings() with { CoordinatorSnapshotEvery = 2 },
            _shards.Ref, _mediator.Ref));

    private StartRun Start(int partitions, bool ingest = false, string? runId = null) =>
        new(runId ?? _runId, Spec,
            [.. Enumerable.Range(0, partitions).Select(i =>
                new PartitionAssignment(i, ingest ? [] : [new FilePair($"/g/{i}", $"/p/{i}")], 100, null))],
            ingest ? 0 : 1000, ingest ? "ingest:f" : "f", false, ingest);

    private static ConfusionMatrix M(long a) => ConfusionMatrix.FromRows([[a, 0, 0], [0, 0, 0], [0, 0, 0]]);

    private PartitionPartial P(int partition, long watermark, long a, bool final = false) =>
        new(_runId, partition, watermark, M(a), new PixelCounts(a, 0, 0), [], final);

    private IActorRef Started(int partitions, bool ingest = false)
    {
        var c = Coordinator();
        c.Tell(Start(partitions, ingest), TestActor);
        // The first write creates the journal's tables: generous on a loaded machine.
        ExpectMsg<RunAccepted>(FirstWrite);
        return c;
    }

    private RunSnapshot Snapshot(IActorRef c)
    {
        c.Tell(new GetSnapshot(_runId), TestActor);
        return ExpectMsg<RunSnapshot>();
    }

    private IActorRef Restarted(IActorRef c)
    {
        Watch(c);
        Sys.Stop(c);
        ExpectTerminated(c);
        return Coordinator();
    }

    [Fact]
    public void Cancel_stops_the_partitions_keeps_what_was_committed_and_counts_nothing_after()
    {
        var c = Started(3);
        c.Tell(P(0, 1, 5), TestActor);
        ExpectMsg<PartialAccepted>();
        c.Tell(P(1, 1, 7, final: true), TestActor);
        ExpectMsg<PartialAccepted>();

        c.Tell(new CancelRun(_runId), TestActor);
        var cancelled = ExpectMsg<RunSnapshot>();
        Assert.Equal(RunStatus.Cancelled, cancelled.Status);
        Assert.True(cancelled.Final);
        Assert.Equal(M(12), cancelled.Matrix);
        // The unfinished partitions (0 and 2) are told to stop; the final one (1) is not.
        var stopped = new HashSet<int>();
        _shards.FishForMessage(m =>
        {
            if (m is StopPartition s) stopped.Add(s.Partition);
            return stopped.SetEquals([0, 2]);
        }, TimeSpan.FromSeconds(5));
        var published = (RunSnapshot)_mediator.FishForMessage<Publish>(p => ((RunSnapshot)p.Message).Final, TimeSpan.FromSeconds(5)).Message;
        Assert.Equal(RunStatus.Cancelled, published.Status);

        // A partial arriving after the cancel is not counted; its shard hears "final, stop".
        c.Tell(P(0, 2, 100), TestActor);
        var ack = ExpectMsg<PartialAccepted>();
        Assert.Equal((1L, true), (ack.Watermark, ack.Final));
        ExpectMsg<StopPartition>();
        Assert.Equal(M(12), Snapshot(c).Matrix);

        // Cancelling again is idempotent.
        c.Tell(new CancelRun(_runId), TestActor);
        Assert.Equal(RunStatus.Cancelled, ExpectMsg<RunSnapshot>().Status);

        // Recovered as it was cancelled, and never resumed.
        var again = Restarted(c);
        var after = Snapshot(again);
        Assert.Equal((RunStatus.Cancelled, M(12)), (after.Status, after.Matrix));
        again.Tell(Start(3), TestActor);
        Assert.Contains("cannot be resumed", ExpectMsg<RunRejected>().Reason);
    }

    [Fact]
    public void Cancelling_a_finished_run_is_refused_and_an_unknown_one_is_unknown()
    {
        var c = Started(1);
        c.Tell(P(0, 1, 3, final: true), TestActor);
        ExpectMsg<PartialAccepted>();
        c.Tell(new CancelRun(_runId), TestActor);
        Assert.Contains("is completed", ExpectMsg<RunRejected>().Reason);
        Assert.Equal(RunStatus.Completed, Snapshot(c).Status);

        Coordinator("nothing-here").Tell(new CancelRun("nothing-here"), TestActor);
        ExpectMsg<RunUnknown>();
    }

    [Fact]
    public async Task Delete_is_refused_while_running_then_removes_events_and_snapshots_for_good()
    {
        var c = Started(2);
        // Four partials: with a persistence snapshot every 2 events, the journal holds snapshots too.
        for (var w = 1; w <= 4; w++)
        {
            c.Tell(P(0, w, w), TestActor);
            ExpectMsg<PartialAccepted>();
        }
        c.Tell(new DeleteRun(_runId), TestActor);
        Assert.Contains("cancel it first", ExpectMsg<RunRejected>().Reason);

        c.Tell(new CancelRun(_runId), TestActor);
        ExpectMsg<RunSnapshot>();
        Watch(c);
        c.Tell(new DeleteRun(_runId), TestActor);
        ExpectMsg<RunDeleted>(TimeSpan.FromSeconds(10));
        ExpectTerminated(c);

        // Gone: a new coordinator recovers nothing (no events, no snapshot), and the catalog does not list it.
        var again = Coordinator();
        again.Tell(new GetSnapshot(_runId), TestActor);
        ExpectMsg<RunUnknown>();
        again.Tell(new DeleteRun(_runId), TestActor);
        ExpectMsg<RunUnknown>();
        var runs = await RunCatalog.ListAsync(_dir);
        Assert.DoesNotContain(runs, r => r.RunId == _runId);
    }

    [Fact]
    public void Abandon_closes_an_idle_ingest_run_only_if_nothing_was_persisted_since_the_sweep_read_it()
    {
        var c = Started(2, ingest: true); // sequence number 1: RunStarted
        c.Tell(P(0, 1, 4), TestActor);     // 2: a batch arrived after the sweep read the journal
        ExpectMsg<PartialAccepted>();
        c.Tell(new AbandonRun(_runId, 1, TimeSpan.FromHours(1)), TestActor);
        Assert.Equal(RunStatus.Running, Snapshot(c).Status);

        c.Tell(new AbandonRun(_runId, 2, TimeSpan.FromHours(1)), TestActor);
        AwaitAssert(() => Assert.Equal(RunStatus.Abandoned, Snapshot(c).Status), TimeSpan.FromSeconds(5));
        var s = Snapshot(c);
        Assert.Equal(M(4), s.Matrix);
        Assert.Contains("no batch for 3600 s", s.Error);
        _shards.FishForMessage<StopPartition>(_ => true, TimeSpan.FromSeconds(5));
        Assert.Equal(RunStatus.Abandoned, Snapshot(Restarted(c)).Status);
    }

    [Fact]
    public void A_run_over_files_is_never_abandoned()
    {
        var c = Started(1);
        c.Tell(new AbandonRun(_runId, 1, TimeSpan.FromHours(1)), TestActor);
        Assert.Equal(RunStatus.Running, Snapshot(c).Status);
    }

    [Fact]
    public async Task The_sweep_asks_to_delete_finished_runs_past_retention_and_to_abandon_idle_ingest_runs()
    {
        var finished = Started(1);
        finished.Tell(P(0, 1, 3, final: true), TestActor);
        ExpectMsg<PartialAccepted>();
        var ingestId = _runId + "-ingest";
        Coordinator(ingestId).Tell(Start(1, ingest: true, runId: ingestId), TestActor);
        ExpectMsg<RunAccepted>(FirstWrite);
        var runningId = _runId + "-files";
        Coordinator(runningId).Tell(Start(1, runId: runningId), TestActor);
        ExpectMsg<RunAccepted>(FirstWrite);

        var settings = TestConfigs.Settings() with { Retention = TimeSpan.FromDays(1), IngestIdleTimeout = TimeSpan.FromHours(1) };
        // Now: nothing is old enough.
        Assert.Empty(await RunSweeperActor.SweepAsync(Sys, settings, DateTimeOffset.UtcNow));
        // Two days on: the finished run goes, the idle ingest run is abandoned, the running run over files stays.
        var later = await RunSweeperActor.SweepAsync(Sys, settings, DateTimeOffset.UtcNow.AddDays(2));
        Assert.Equal(2, later.Count);
        Assert.Equal(new DeleteRun(_runId), later.OfType<DeleteRun>().Single());
        var abandon = later.OfType<AbandonRun>().Single();
        Assert.Equal((ingestId, 1L), (abandon.RunId, abandon.SequenceNr));
        Assert.True(abandon.Idle > TimeSpan.FromDays(1));
        // Off (infinite): nothing.
        Assert.Empty(await RunSweeperActor.SweepAsync(Sys, TestConfigs.Settings(), DateTimeOffset.UtcNow.AddDays(2)));
    }
}
