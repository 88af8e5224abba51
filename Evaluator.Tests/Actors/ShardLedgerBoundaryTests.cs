using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Actors;
using Evaluator.Tests.Core;

namespace Evaluator.Tests.Actors;

/// <summary>Boundary IoU runs in the shard's ledger: a pair's sums commit with its last slice, all or nothing, and resume.</summary>
public sealed class ShardLedgerBoundaryTests
{
    private const int Classes = 3;
    private const int H = 9, W = 11;
    private static readonly RunSpec Spec = new(Classes, ignoreLabels: [255]);
    private static readonly double Ratio = 2 / Math.Sqrt(H * H + W * W); // d = 2

    private static ShardLedger Ledger(PartitionPartial? resume = null, bool skipBad = false)
    {
        var assignment = new PartitionAssignment(0,
            [.. Enumerable.Range(0, 4).Select(i => new FilePair($"/gt/{i}.png", $"/pred/{i}.png"))], 40, null);
        var start = new StartPartition("r", 0, Spec, assignment, resume ?? PartitionPartial.Empty("r", 0, Classes), skipBad)
        {
            BoundaryDilation = Ratio,
        };
        return new ShardLedger(start);
    }

    private static (LabelArray Gt, LabelArray Pred, int[] G, int[] P) Pair(int seed)
    {
        var rng = new Random(seed);
        var g = BoundaryCounterTests.Blobs(rng, H, W, Classes, 255);
        var p = BoundaryCounterTests.Blobs(rng, H, W, Classes, 0);
        return (LabelArray.Of(g.Select(v => (byte)v).ToArray(), H, W), LabelArray.Of(p.Select(v => (byte)v).ToArray(), H, W), g, p);
    }

    /// <summary>The pair in slices of 40 pixels.</summary>
    private static IEnumerable<Batch> Slices(long seq, LabelArray gt, LabelArray pred)
    {
        var count = (gt.Length + 39) / 40;
        for (var s = 0; s < count; s++)
            yield return new Batch("r", 0, seq, s, count, $"/gt/{seq}.png", gt, pred, s * 40, Math.Min(40, gt.Length - s * 40), null);
    }

    private static (long[] Inter, long[] Union) Recount(params (int[] G, int[] P)[] pairs)
    {
        var inter = new long[Classes];
        var union = new long[Classes];
        foreach (var (g, p) in pairs)
        {
            var (i, u) = NaiveBoundary.Run(Classes, H, W, 2, g, p, g.Select(v => v != 255).ToArray());
            for (var c = 0; c < Classes; c++)
            {
                inter[c] += i[c];
                union[c] += u[c];
            }
        }
        return (inter, union);
    }

    [Fact]
    public void Sums_commit_with_the_last_slice_and_resume_from_the_partial()
    {
        var a = Pair(1);
        var b = Pair(2);
        var l = Ledger();
        var slices = Slices(0, a.Gt, a.Pred).ToList();
        foreach (var s in slices.SkipLast(1)) Assert.Equal(LedgerOutcome.Pending, l.CountSlice(s).Outcome);
        Assert.Equal(BoundaryCounts.Zero(Classes), l.TakePartial().Boundary); // nothing before the pair commits
        Assert.Equal(LedgerOutcome.Counted, l.CountSlice(slices[^1]).Outcome);
        var partial = l.TakePartial();
        var (i1, u1) = Recount((a.G, a.P));
        Assert.Equal(i1, partial.Boundary!.Intersection.ToArray());
        Assert.Equal(u1, partial.Boundary.Union.ToArray());

        // A new ledger resumed from that partial adds the next pair to it.
        var resumed = Ledger(partial);
        foreach (var s in Slices(1, b.Gt, b.Pred)) resumed.CountSlice(s);
        var (i2, u2) = Recount((a.G, a.P), (b.G, b.P));
        Assert.Equal(i2, resumed.TakePartial().Boundary!.Intersection.ToArray());
        Assert.Equal(u2, resumed.TakePartial().Boundary!.Union.ToArray());
    }

    [Fact]
    public void A_refused_pair_adds_nothing_to_the_sums()
    {
        var a = Pair(3);
        var l = Ledger();
        foreach (var s in Slices(0, a.Gt, a.Pred)) l.CountSlice(s);
        var before = l.TakePartial();
        // Pair 1's last slice holds a prediction out of range: the whole pair is refused.
        var bad = a.P.Select(v => (byte)v).ToArray();
        bad[^1] = 9;
        var slices = Slices(1, a.Gt, LabelArray.Of(bad, H, W)).ToList();
        foreach (var s in slices.SkipLast(1)) l.CountSlice(s);
        Assert.Equal(LedgerOutcome.Refused, l.CountSlice(slices[^1]).Outcome);
        var after = l.TakePartial();
        Assert.Equal(before.Boundary, after.Boundary);
        Assert.Equal(before.Watermark, after.Watermark);
    }

    [Fact]
    public void Ingested_batches_are_refused_in_a_boundary_run()
    {
        var step = Ledger().IngestLabels(0, LabelArray.Of(new byte[4]), LabelArray.Of(new byte[4]), "client");
        Assert.Equal(LedgerOutcome.Refused, step.Outcome);
        Assert.Contains("boundary IoU", step.Error);
    }

    [Fact]
    public void The_run_refuses_a_partial_without_sums_or_with_sums_beyond_its_counted_pixels()
    {
        var state = new RunState();
        state.ApplyStart(new StartRun("r", Spec, [new PartitionAssignment(0, [new FilePair("/gt/0.png", "/pred/0.png")], 40, null)],
            99, "fp", false)
        { BoundaryDilation = Ratio });
        var partial = new PartitionPartial("r", 0, 1, ConfusionMatrix.FromRows([[5, 0, 0], [0, 0, 0], [0, 0, 0]]),
            new PixelCounts(5, 0, 0), [], false);
        Assert.Contains("no boundary IoU sums", state.Refusal(partial));
        Assert.Contains("do not fit", state.Refusal(partial with { Boundary = new BoundaryCounts([1, 0, 0], [6, 0, 0]) }));
        Assert.Null(state.Refusal(partial with { Boundary = new BoundaryCounts([1, 0, 0], [5, 0, 0]) }));
    }
}
