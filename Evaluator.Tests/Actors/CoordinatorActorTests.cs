using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.TestKit;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Actors;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Actors;

/// <summary>
/// CoordinatorActor under TestKit with a real SQLite journal: the max-register over partials,
/// exact totals, snapshot publishing, failure handling, and recovery from the journal.
/// </summary>
public sealed class CoordinatorActorTests : Akka.TestKit.Xunit2.TestKit
{
    private const int C = 3;
    private static readonly RunSpec Spec = new(C);
    private readonly TestProbe _shards;
    private readonly TestProbe _mediator;
    private readonly string _runId = "run-" + Guid.NewGuid().ToString("N")[..8];

    public CoordinatorActorTests() : base(TestConfigs.LocalWithJournal(TestEnvironment.TempDir("journal"), snapshotEvery: 3))
    {
        _shards = CreateTestProbe("shards");
        _mediator = CreateTestProbe("mediator");
    }

    private IActorRef Coordinator() =>
        Sys.ActorOf(CoordinatorActor.Props(_runId, TestConfigs.Settings(), _shards.Ref, _mediator.Ref));

    private StartRun StartMessage(int partitions = 2, string fingerprint = "f1") =>
        new(_runId, Spec,
            [.. Enumerable.Range(0, partitions).Select(i => new PartitionAssignment(i, [new FilePair($"/g/{i}", $"/p/{i}")], 100, null))],
            1000, fingerprint, false);

    private static ConfusionMatrix M(long a, long b = 0) => ConfusionMatrix.FromRows([[a, b, 0], [0, 0, 0], [0, 0, 0]]);

    private PartitionPartial P(int partition, long watermark, ConfusionMatrix m, bool final = false) =>
        new(_runId, partition, watermark, m, new PixelCounts(m.Total, 0, 0), [], final);

    private RunSnapshot Snapshot(IActorRef coordinator) =>
        coordinator.Ask<RunSnapshot>(new GetSnapshot(_runId), TimeSpan.FromSeconds(5)).Result;

    private IActorRef Started(int partitions = 2)
    {
        var c = Coordinator();
        c.Tell(StartMessage(partitions), TestActor);
        Assert.False(ExpectMsg<RunAccepted>().Resumed);
        return c;
    }

    [Fact]
    public void Starting_a_run_kicks_every_partition_with_an_empty_partial()
    {
        Started(3);
        var kicks = _shards.ReceiveN(3).Cast<StartPartition>().OrderBy(s => s.Partition).ToList();
        Assert.Equal([0, 1, 2], kicks.Select(k => k.Partition));
        Assert.All(kicks, k => Assert.Equal(0, k.Resume.Watermark));
        // ... and keeps re-kicking the unfinished ones (that is what re-homes lost shards).
        _shards.FishForMessage<StartPartition>(_ => true, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Stale_duplicate_and_reordered_partials_change_nothing()
    {
        var c = Started();
        c.Tell(P(0, 2, M(20, 1)), TestActor);
        ExpectMsg<PartialAccepted>(a => a.Watermark == 2);
        c.Tell(P(0, 1, M(10)), TestActor);       // stale
        ExpectMsg<PartialAccepted>(a => a.Watermark == 2);
        c.Tell(P(0, 2, M(20, 1)), TestActor);    // duplicate
        ExpectMsg<PartialAccepted>(a => a.Watermark == 2);
        c.Tell(P(1, 5, M(7)), TestActor);
        ExpectMsg<PartialAccepted>(a => a.Watermark == 5);
        c.Tell(P(1, 4, M(6)), TestActor);        // arrives late: reordered
        ExpectMsg<PartialAccepted>(a => a.Watermark == 5);

        var s = Snapshot(c);
        Assert.Equal(M(27, 1), s.Matrix);
        Assert.Equal(28, s.Pixels.Counted);
        Assert.Equal([2L, 5L], s.Partitions.Select(p => p.Watermark));
        Assert.Equal(RunStatus.Running, s.Status);
    }

    [Fact]
    public void Publishes_only_on_change_and_always_the_final_snapshot()
    {
        var c = Started();
        c.Tell(P(0, 1, M(3)), TestActor);
        var first = _mediator.ExpectMsg<Publish>(TimeSpan.FromSeconds(5));
        Assert.Equal(CoordinatorActor.Topic(_runId), first.Topic);
        Assert.Equal(M(3), ((RunSnapshot)first.Message).Matrix);
        _mediator.ExpectNoMsg(TimeSpan.FromMilliseconds(400)); // no change, nothing published

        c.Tell(P(0, 2, M(4), final: true), TestActor);
        c.Tell(P(1, 1, M(0, 6), final: true), TestActor);
        var final = _mediator.FishForMessage<Publish>(p => ((RunSnapshot)p.Message).Final, TimeSpan.FromSeconds(5));
        var snapshot = (RunSnapshot)final.Message;
        Assert.Equal(RunStatus.Completed, snapshot.Status);
        Assert.Equal(M(4, 6), snapshot.Matrix);
        Assert.True(snapshot.Number > ((RunSnapshot)first.Message).Number);
    }

    [Fact]
    public void Publishing_is_rate_limited_however_fast_partials_arrive()
    {
        var c = Started();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        for (var w = 1; w <= 200; w++) c.Tell(P(w % 2, w, M(w)), TestActor);
        ReceiveN(200, TimeSpan.FromSeconds(10));
        // Count the publishes until the one that shows the last partials (199 + 200).
        var publishes = 0;
        _mediator.FishForMessage(m =>
        {
            publishes++;
            return ((RunSnapshot)((Publish)m).Message).Matrix.Equals(M(399));
        }, TimeSpan.FromSeconds(5));
        var elapsed = sw.Elapsed;
        // snapshot-interval is 100 ms: at most one publish per interval (+1 for the edges).
        Assert.True(publishes <= elapsed.TotalMilliseconds / 100 + 5, $"{publishes} publishes in {elapsed}");
    }

    [Fact]
    public void A_failed_partition_stops_the_others_and_publishes_a_final_failed_snapshot()
    {
        var c = Started(3);
        c.Tell(P(0, 1, M(2)), TestActor);
        ExpectMsg<PartialAccepted>();
        c.Tell(new PartitionFailed(_runId, 1, 0, "/g/1: corrupt"));
        var stopped = new HashSet<int>();
        _shards.FishForMessage(m =>
        {
            if (m is StopPartition s) stopped.Add(s.Partition);
            return stopped.Contains(0) && stopped.Contains(2);
        }, TimeSpan.FromSeconds(5));
        var final = (RunSnapshot)_mediator.FishForMessage<Publish>(p => ((RunSnapshot)p.Message).Final, TimeSpan.FromSeconds(5)).Message;
        Assert.Equal(RunStatus.Failed, final.Status);
        Assert.Equal("/g/1: corrupt", final.Error);
        Assert.Equal(M(2), final.Matrix); // what was counted is kept
    }

    [Fact]
    public void A_different_fingerprint_for_the_same_run_id_is_rejected()
    {
        var c = Started();
        // Another fingerprint over other pairs (another partitioning of the same pairs is a resume).
        c.Tell(StartMessage(partitions: 3, fingerprint: "other"), TestActor);
        Assert.Contains("different", ExpectMsg<RunRejected>().Reason);
    }

    [Fact]
    public void A_restarted_coordinator_recovers_its_exact_state_from_the_journal()
    {
        var c = Started(2);
        // Seven partials: with a persistence snapshot every 3 events, recovery uses a snapshot and events.
        for (var w = 1; w <= 7; w++)
        {
            c.Tell(P(w % 2, w, M(w, w % 3)), TestActor);
            ExpectMsg<PartialAccepted>();
        }
        var before = Snapshot(c);
        Watch(c);
        Sys.Stop(c);
        ExpectTerminated(c);

        var again = Coordinator();
        var after = Snapshot(again);
        Assert.Equal(before.Matrix, after.Matrix);
        Assert.Equal(before.Pixels, after.Pixels);
        Assert.Equal(before.Partitions.ToList(), after.Partitions.ToList());
        Assert.Equal(M(7 + 6, 1 + 0), after.Matrix);

        // The same run started again is a resume: accepted, and it keeps its state.
        again.Tell(StartMessage(2), TestActor);
        var accepted = ExpectMsg<RunAccepted>();
        Assert.True(accepted.Resumed);
        Assert.Equal(before.Matrix, accepted.Snapshot.Matrix);
    }

    private StartRun Files(int partitions, params PairStamp[] stamps)
    {
        FilePair[] pairs = [.. Enumerable.Range(0, 6).Select(i => new FilePair($"/g/{i}", $"/p/{i}"))];
        var parts = Enumerable.Range(0, partitions)
            .Select(i => new PartitionAssignment(i, [.. pairs[(6 * i / partitions)..(6 * (i + 1) / partitions)]], 100, null));
        return new StartRun(_runId, Spec, [.. parts], 1000, "f" + partitions, false,
            Stamps: stamps.Length > 0 ? [.. stamps] : [.. pairs.Select(_ => new PairStamp(10, 1, 10, 1))]);
    }

    [Fact]
    public void A_resume_with_another_partitioning_of_the_same_pairs_continues_with_the_stored_one()
    {
        var c = Coordinator();
        c.Tell(Files(3), TestActor);
        Assert.Equal(3, ExpectMsg<RunAccepted>().Snapshot.Partitions.Length);
        c.Tell(P(0, 2, M(4), final: true), TestActor);
        ExpectMsg<PartialAccepted>();

        // Other workers or cores: 2 partitions asked, 3 stored; resumed with the stored ones.
        c.Tell(Files(2), TestActor);
        var resumed = ExpectMsg<RunAccepted>();
        Assert.True(resumed.Resumed);
        Assert.Equal(3, resumed.Snapshot.Partitions.Length);
        Assert.Equal(M(4), resumed.Snapshot.Matrix);

        // Other pairs are another dataset.
        c.Tell(Files(2) with { Partitions = [new PartitionAssignment(0, [new FilePair("/g/x", "/p/x")], 100, null)] }, TestActor);
        Assert.Contains("different spec or dataset", ExpectMsg<RunRejected>().Reason);
    }

    [Fact]
    public void A_resume_whose_counted_pairs_changed_is_refused_naming_them()
    {
        var c = Coordinator();
        c.Tell(Files(2), TestActor);
        ExpectMsg<RunAccepted>();
        c.Tell(P(0, 2, M(4)), TestActor); // pairs 0 and 1 are counted; 2..5 are not
        ExpectMsg<PartialAccepted>();

        var same = new PairStamp(10, 1, 10, 1);
        // A pair not counted yet may change (e.g. a bad file fixed): the run counts it as it is now.
        c.Tell(Files(2, same, same, new PairStamp(11, 2, 10, 1), same, same, new PairStamp(10, 1, 12, 5)), TestActor);
        Assert.True(ExpectMsg<RunAccepted>().Resumed);

        c.Tell(Files(2, same, new PairStamp(10, 2, 10, 1), same, same, same, same), TestActor);
        var refused = ExpectMsg<RunInputsChanged>();
        Assert.Equal("/g/1", Assert.Single(refused.Files));
        Assert.Contains("1 pair(s) already counted changed", refused.Reason);
        Assert.Contains("/g/1", refused.Reason);

        // The accepted resume re-identified the uncounted pairs: once pair 2 is counted as it is
        // now, a resume with its new stamp is accepted, and one with its old stamp refused.
        c.Tell(P(0, 3, M(5)), TestActor);
        ExpectMsg<PartialAccepted>();
        var now = new PairStamp(11, 2, 10, 1);
        c.Tell(Files(3, same, same, now, same, same, new PairStamp(10, 1, 12, 5)), TestActor);
        Assert.True(ExpectMsg<RunAccepted>().Resumed);
        c.Tell(Files(2, same, same, same, same, same, same), TestActor);
        Assert.Equal("/g/2", Assert.Single(ExpectMsg<RunInputsChanged>().Files));

        // ... and so after a restart.
        Watch(c);
        Sys.Stop(c);
        ExpectTerminated(c);
        var again = Coordinator();
        again.Tell(Files(2, same, same, same, same, same, same), TestActor);
        Assert.Equal("/g/2", Assert.Single(ExpectMsg<RunInputsChanged>().Files));
        again.Tell(Files(2, same, same, now, same, same, same), TestActor);
        Assert.True(ExpectMsg<RunAccepted>().Resumed);
    }

    /// <summary>Persists events as the coordinator of <c>_runId</c> would have (an older version's journal).</summary>
    private sealed class JournalWriter : Akka.Persistence.ReceivePersistentActor
    {
        public JournalWriter(string persistenceId, IReadOnlyList<object> events)
        {
            PersistenceId = persistenceId;
            Command<string>(_ =>
            {
                var sender = Sender;
                PersistAll(events, _ => { });
                DeferAsync("done", d => sender.Tell(d));
            });
        }

        public override string PersistenceId { get; }
    }

    private void WriteJournal(params object[] events)
    {
        var w = Sys.ActorOf(Props.Create(() => new JournalWriter("run-" + _runId, events)));
        w.Tell("go", TestActor);
        ExpectMsg("done", TimeSpan.FromSeconds(10));
        Watch(w);
        Sys.Stop(w);
        ExpectTerminated(w);
    }

    [Fact]
    public void A_journal_holding_totals_that_overflow_loads_as_a_failed_run()
    {
        // What the previous version persisted for num_classes 1, ignored = long.MaxValue and one
        // counted pixel: each counter fits, the pixel total does not.
        var start = new StartRun(_runId, new RunSpec(1), [new PartitionAssignment(0, [], 100, null)], 0, "ingest:x", false, true);
        var poisoned = new PartitionPartial(_runId, 0, 1, ConfusionMatrix.FromRows([[1]]), new PixelCounts(1, long.MaxValue, 0), [], false);
        WriteJournal(new RunStarted(start), new PartialRecorded(poisoned));

        var c = Coordinator();
        var s = Snapshot(c);
        Assert.Equal(RunStatus.Failed, s.Status);
        Assert.Contains("overflow", s.Error);
        Assert.Equal(PixelCounts.Zero, s.Pixels);
        Assert.Equal(0, s.Partitions[0].Pixels);
        _ = s.ToReport();

        // runs / GET /runs fold the same events: a failed summary with the reason, no exception.
        var summary = Evaluator.Node.Runs.RunCatalog.Fold(_runId, [new RunStarted(start), new PartialRecorded(poisoned)])!;
        Assert.Equal(RunStatus.Failed, summary.Status);
        Assert.Contains("overflow", summary.Error);
    }

    [Fact]
    public void A_partial_whose_sum_with_the_other_partitions_would_overflow_fails_the_run()
    {
        var c = Started(2);
        var big = ConfusionMatrix.FromRows([[long.MaxValue - 5, 0, 0], [0, 0, 0], [0, 0, 0]]);
        c.Tell(P(0, 1, big), TestActor);
        ExpectMsg<PartialAccepted>(a => a.Watermark == 1);
        c.Tell(P(1, 1, M(6)), TestActor);
        _shards.FishForMessage<StopPartition>(_ => true, TimeSpan.FromSeconds(5));
        var s = Snapshot(c);
        Assert.Equal(RunStatus.Failed, s.Status);
        Assert.Contains("overflow", s.Error);
        Assert.Equal(long.MaxValue - 5, s.Pixels.Counted);

        // ... and it stays so after a restart.
        Watch(c);
        Sys.Stop(c);
        ExpectTerminated(c);
        var again = Snapshot(Coordinator());
        Assert.Equal(RunStatus.Failed, again.Status);
        Assert.Equal(s.Matrix, again.Matrix);
    }

    [Fact]
    public void The_subscriber_keeps_only_the_latest_snapshot_for_a_slow_reader()
    {
        var channel = SnapshotSubscriberActor.LatestOnly();
        var subscribed = new TaskCompletionSource();
        var sub = Sys.ActorOf(SnapshotSubscriberActor.Props(_mediator.Ref, _runId, channel.Writer, subscribed));
        _mediator.ExpectMsg<Subscribe>();
        var s0 = new RunSnapshot(_runId, 0, DateTimeOffset.UnixEpoch, Spec, M(0), PixelCounts.Zero, 10, [], [], RunStatus.Running, null);
        for (var n = 1; n <= 100; n++) sub.Tell(s0 with { Number = n, Matrix = M(n) });
        sub.Tell(s0 with { Number = 50 }); // an older one arriving late is dropped
        AwaitAssert(() =>
        {
            Assert.True(channel.Reader.TryPeek(out var latest));
            Assert.Equal(100, latest.Number);
        }, TimeSpan.FromSeconds(5));
        Assert.Equal(1, channel.Reader.Count);
    }
}
