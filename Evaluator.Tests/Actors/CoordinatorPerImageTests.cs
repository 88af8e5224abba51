using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Actors;
using Evaluator.Node.Runs;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Actors;

/// <summary>
/// The coordinator of a per-image run (TestKit, real SQLite journal): it journals each pair's row
/// once, whatever partials are re-sent or overlap, and reads them back in pair order.
/// </summary>
public sealed class CoordinatorPerImageTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly RunSpec Spec = new(3);
    private readonly string _runId = "run-" + Guid.NewGuid().ToString("N")[..8];

    public CoordinatorPerImageTests() : base(TestConfigs.LocalWithJournal(TestEnvironment.TempDir("journal"), snapshotEvery: 2))
    {
    }

    private StartRun Start => new(_runId, Spec,
        [.. Enumerable.Range(0, 2).Select(p => new PartitionAssignment(p,
            [.. Enumerable.Range(0, 4).Select(i => new FilePair($"/g/{p}/{i}.png", $"/p/{p}/{i}.png"))], 100, null))],
        1000, "f", false, PerImage: true)
    {
        GroundTruthRoot = "/g",
        PredictionRoot = "/p",
    };

    private static ImageResult Row(long seq) => new(seq, [new MatrixCell((int)(seq % 3), 0, seq + 1)], new PixelCounts(seq + 1, 0, 0));

    /// <summary>A partition's cumulative partial with watermark <paramref name="watermark"/> carrying the rows <paramref name="seqs"/>.</summary>
    private PartitionPartial Partial(int partition, long watermark, params long[] seqs)
    {
        var m = new ConfusionMatrix(3);
        for (long s = 0; s < watermark; s++) m.Add((int)(s % 3), 0, s + 1);
        return new PartitionPartial(_runId, partition, watermark, m, new PixelCounts(m.Total, 0, 0), [], watermark == 4)
        {
            Images = [.. seqs.Select(Row)],
        };
    }

    [Fact]
    public async Task Resent_and_overlapping_partials_journal_each_pair_once()
    {
        var c = Sys.ActorOf(CoordinatorActor.Props(_runId, TestConfigs.Settings(), CreateTestProbe().Ref, CreateTestProbe().Ref));
        c.Tell(Start, TestActor);
        ExpectMsg<RunAccepted>(TimeSpan.FromSeconds(30)); // the journal is created first
        c.Tell(Partial(0, 2, 0, 1), TestActor);
        ExpectMsg<PartialAccepted>(a => a.Watermark == 2);
        c.Tell(Partial(0, 3, 0, 1, 2), TestActor);        // re-sent before the acknowledgement arrived
        ExpectMsg<PartialAccepted>(a => a.Watermark == 3);
        c.Tell(Partial(0, 3, 0, 1, 2), TestActor);        // a duplicate: nothing recorded
        ExpectMsg<PartialAccepted>(a => a.Watermark == 3);
        c.Tell(Partial(1, 4, 0, 1, 2, 3), TestActor);
        ExpectMsg<PartialAccepted>(a => a.Watermark == 4);
        c.Tell(Partial(0, 4, 1, 2, 3), TestActor);        // a shard resumed from an older partial
        ExpectMsg<PartialAccepted>(a => a.Watermark == 4 && a.Final);

        // The journal holds each (partition, seq) exactly once.
        var query = PersistenceQuery.Get(Sys).ReadJournalFor<SqlReadJournal>(SqlReadJournal.Identifier);
        var recorded = await query.CurrentEventsByPersistenceId("run-" + _runId, 0, long.MaxValue)
            .Select(e => e.Event).Where(e => e is PartialRecorded).Select(e => (PartialRecorded)e)
            .SelectMany(r => r.Partial.Images.Select(i => (r.Partial.Partition, i.Seq)))
            .RunWith(Sink.Seq<(int, long)>(), Sys.Materializer());
        Assert.Equal([(0, 0L), (0, 1L), (0, 2L), (1, 0L), (1, 1L), (1, 2L), (1, 3L), (0, 3L)], recorded);

        // Read back in pair order, named relative to the roots; they sum to the run's matrix.
        var rows = new List<PerImageRow>();
        await foreach (var r in PerImageResults.ReadAsync(Sys, Start)) rows.Add(r);
        Assert.Equal(Enumerable.Range(0, 8).Select(i => (long)i), rows.Select(r => r.Index));
        Assert.Equal("/g/1/3.png", rows[^1].Pair.GroundTruth);
        var sum = new ConfusionMatrix(3);
        foreach (var r in rows) sum.Merge(r.Result.ToMatrix(3));
        var snapshot = await c.Ask<RunSnapshot>(new GetSnapshot(_runId), TimeSpan.FromSeconds(5));
        Assert.Equal(snapshot.Matrix, sum);
        Assert.Equal(RunStatus.Completed, snapshot.Status);

        // Recovery (from the journal and a snapshot) keeps no rows in the state and reads the same.
        Watch(c);
        Sys.Stop(c);
        ExpectTerminated(c);
        var again = Sys.ActorOf(CoordinatorActor.Props(_runId, TestConfigs.Settings(), CreateTestProbe().Ref, CreateTestProbe().Ref));
        var recovered = await again.Ask<RunSnapshot>(new GetSnapshot(_runId), TimeSpan.FromSeconds(5));
        Assert.Equal(snapshot.Matrix, recovered.Matrix);
        Assert.Equal(Start, await PerImageResults.StartOfAsync(Sys, _runId));
    }
}
