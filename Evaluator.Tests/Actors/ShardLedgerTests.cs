using System.Collections.Immutable;
using System.Numerics;
using CsCheck;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Actors;

namespace Evaluator.Tests.Actors;

/// <summary>The shard's ledger without an actor: seq rules, skip-bad, sliced pairs, resume, all-or-nothing.</summary>
public sealed class ShardLedgerTests
{
    private static readonly RunSpec Spec = new(3, ignoreLabels: [255]);

    private static FilePair Pair(int i) => new($"/gt/{i}.png", $"/pred/{i}.png");

    private static ShardLedger Ledger(PartitionPartial? resume = null, bool skipBad = false, bool ingest = false) =>
        new(new StartPartition("r", 0, Spec, new PartitionAssignment(0, [Pair(0), Pair(1), Pair(2), Pair(3)], 1000, null),
            resume ?? PartitionPartial.Empty("r", 0, 3), skipBad, ingest));

    private static Batch Whole(long seq, byte[] gt, byte[] pred) =>
        new("r", 0, seq, 0, 1, $"/gt/{seq}.png", LabelArray.Of(gt), LabelArray.Of(pred), 0, gt.Length, null);

    private static Batch Slice(long seq, int slice, int count, LabelArray gt, LabelArray pred, int offset, int length) =>
        new("r", 0, seq, slice, count, $"/gt/{seq}.png", gt, pred, offset, length, null);

    /// <summary>Everything a refused operation must leave as it was.</summary>
    private static (long Watermark, string Cells, PixelCounts Pixels, string BadPairs) State(ShardLedger l) =>
        (l.Watermark, Text(l.Cells), l.Pixels, string.Join("|", l.BadPairs));

    private static string Text(ReadOnlySpan<long> cells) => string.Join(",", cells.ToArray());

    private static long[] Rows(params long[][] rows) => [.. rows.SelectMany(r => r)];

    private static PartitionPartial Resume(long watermark, long[] cells, PixelCounts pixels, bool final = false) =>
        new("r", 0, watermark, ConfusionMatrix.FromRows(cells.Chunk(3).Select(r => (IReadOnlyList<long>)r).ToList()),
            pixels, [], final);

    [Fact]
    public void The_next_seq_counts_a_duplicate_or_a_gap_changes_nothing()
    {
        var l = Ledger();
        Assert.Equal(LedgerOutcome.Counted, l.CountSlice(Whole(0, [0, 1, 2, 255], [0, 1, 1, 2])).Outcome);
        var after = State(l);
        Assert.Equal(LedgerOutcome.Duplicate, l.CountSlice(Whole(0, [1], [1])).Outcome);
        var gap = l.CountSlice(Whole(2, [1], [1]));
        Assert.Equal(LedgerOutcome.Gap, gap.Outcome);
        Assert.Contains("next expected batch of partition 0 is 1", gap.Error);
        Assert.Equal(LedgerOutcome.Duplicate, l.IngestLabels(0, LabelArray.Of(new byte[] { 1 }), LabelArray.Of(new byte[] { 1 }), "x").Outcome);
        Assert.Equal(LedgerOutcome.Gap, l.IngestMatrix(5, new ConfusionMatrix(3), PixelCounts.Zero).Outcome);
        Assert.Equal(after, State(l));
        Assert.Equal((1L, Text(Rows([1, 0, 0], [0, 1, 0], [0, 1, 0])), new PixelCounts(3, 1, 0)), (after.Watermark, after.Cells, after.Pixels));
    }

    [Fact]
    public void Refused_ingests_change_nothing()
    {
        var l = Ledger(Resume(1, Rows([1, 0, 0], [0, long.MaxValue - 10, 0], [0, 0, 0]), new PixelCounts(long.MaxValue - 9, 5, 0)),
            ingest: true);
        var before = State(l);
        LabelArray Bytes(params byte[] v) => LabelArray.Of(v);
        ConfusionMatrix M(params long[] cells) => ConfusionMatrix.FromRows(cells.Chunk(3).Select(r => (IReadOnlyList<long>)r).ToList());

        Assert.Contains("label 7", l.IngestLabels(1, Bytes(0, 7), Bytes(0, 0), "a").Error);
        Assert.Equal(LedgerOutcome.Refused, l.IngestLabels(1, Bytes(0, 1), Bytes(0), "b").Outcome); // shape
        Assert.Equal(LedgerOutcome.Refused, l.IngestMatrix(1, new ConfusionMatrix(2), PixelCounts.Zero).Outcome);
        Assert.Equal(LedgerOutcome.Refused, l.IngestMatrix(1, M(0, 0, 0, 0, 1, 0, 0, 0, 0), new PixelCounts(2, 0, 0)).Outcome);
        Assert.Equal(LedgerOutcome.Refused, l.IngestMatrix(1, M(0, 0, 0, 0, 11, 0, 0, 0, 0), new PixelCounts(11, 0, 0)).Outcome); // cell and counted
        Assert.Equal(LedgerOutcome.Refused, l.IngestMatrix(1, M(1, 0, 0, 0, 0, 0, 0, 0, 0), new PixelCounts(1, long.MaxValue, 0)).Outcome); // ignored
        Assert.Equal(LedgerOutcome.Refused, l.IngestMatrix(1, M(long.MaxValue, 0, 0, 0, 0, 0, 0, 0, 1), new PixelCounts(0, 0, 0)).Outcome); // total
        // 11 pixels of class 1: the cell would pass 2^63 (counted into a scratch matrix, then refused).
        Assert.Equal(LedgerOutcome.Refused, l.IngestLabels(1, Bytes([.. Enumerable.Repeat((byte)1, 11)]), Bytes([.. Enumerable.Repeat((byte)1, 11)]), "c").Outcome);
        Assert.Equal(before, State(l));

        Assert.Equal(LedgerOutcome.Counted, l.IngestLabels(1, Bytes(2, 255, 1), Bytes(0, 0, 1), "d").Outcome);
        Assert.Equal((2L, Text(Rows([1, 0, 0], [0, long.MaxValue - 9, 0], [1, 0, 0])), new PixelCounts(long.MaxValue - 7, 6, 0)),
            (l.Watermark, Text(l.Cells), l.Pixels));
    }

    [Fact]
    public void A_batch_after_which_the_partitions_pixel_total_would_not_fit_is_refused()
    {
        // The finding: one class, ignored = long.MaxValue, and one counted pixel. Each counter
        // fits, their sum does not: refused whole, and the next valid batch still counts.
        var l = new ShardLedger(new StartPartition("r", 0, new RunSpec(1), new PartitionAssignment(0, [], 1000, null),
            PartitionPartial.Empty("r", 0, 1), false, true));
        var before = State(l);
        var step = l.IngestMatrix(0, ConfusionMatrix.FromRows([[1]]), new PixelCounts(1, long.MaxValue, 0));
        Assert.Equal(LedgerOutcome.Refused, step.Outcome);
        Assert.Contains("overflow", step.Error);
        Assert.Equal(before, State(l));
        Assert.Equal(LedgerOutcome.Refused,
            l.IngestMatrix(0, ConfusionMatrix.FromRows([[0]]), new PixelCounts(0, -1, 0)).Outcome);
        Assert.Equal(LedgerOutcome.Counted,
            l.IngestMatrix(0, ConfusionMatrix.FromRows([[1]]), new PixelCounts(1, long.MaxValue - 2, 0)).Outcome);
        // Labels too: one more pixel of any kind fits, two do not.
        Assert.Equal(LedgerOutcome.Refused,
            l.IngestLabels(1, LabelArray.Of(new byte[] { 0, 0 }), LabelArray.Of(new byte[] { 0, 0 }), "x").Outcome);
        Assert.Equal(LedgerOutcome.Counted,
            l.IngestLabels(1, LabelArray.Of(new byte[] { 0 }), LabelArray.Of(new byte[] { 0 }), "x").Outcome);
        Assert.Equal(long.MaxValue, l.Pixels.Total);
    }

    [Fact]
    public void A_bad_pair_fails_whole_or_is_skipped_whole_with_skip_bad()
    {
        var gt = LabelArray.Of(new byte[] { 1, 1, 9, 1 });
        var pred = LabelArray.Of(new byte[] { 1, 1, 1, 1 });

        var strict = Ledger();
        Assert.Equal(LedgerOutcome.Pending, strict.CountSlice(Slice(0, 0, 2, gt, pred, 0, 2)).Outcome);
        var refused = strict.CountSlice(Slice(0, 1, 2, gt, pred, 2, 2));
        Assert.Equal(LedgerOutcome.Refused, refused.Outcome);
        Assert.Contains("label 9", refused.Error);
        Assert.Equal((0L, Text(new long[9])), (strict.Watermark, Text(strict.Cells)));
        var unreadable = strict.CountSlice(new Batch("r", 0, 0, 0, 1, "/gt/0.png", null, null, 0, 0, new BadPair("/gt/0.png", "", "corrupt")));
        Assert.Equal(new LedgerStep(LedgerOutcome.Refused, "corrupt"), unreadable);

        var skipping = Ledger(skipBad: true);
        Assert.Equal(LedgerOutcome.Skipped, skipping.CountSlice(Slice(0, 0, 2, LabelArray.Of(new byte[] { 9, 1 }), LabelArray.Of(new byte[] { 1, 1 }), 0, 1)).Outcome);
        Assert.Equal(LedgerOutcome.Duplicate, skipping.CountSlice(Slice(0, 1, 2, gt, pred, 1, 1)).Outcome); // stale slice
        Assert.Equal(LedgerOutcome.Skipped,
            skipping.CountSlice(new Batch("r", 0, 1, 0, 1, "/gt/1.png", null, null, 0, 0, new BadPair("/gt/1.png", "/pred/1.png", "corrupt"))).Outcome);
        Assert.Equal(LedgerOutcome.Counted, skipping.CountSlice(Whole(2, [2], [2])).Outcome);
        Assert.Equal(3, skipping.Watermark);
        Assert.Equal(1, skipping.Pixels.Counted);
        Assert.Equal(["/gt/0.png", "/gt/1.png"], skipping.BadPairs.Select(b => b.GroundTruth));
        Assert.Equal("/pred/0.png", skipping.BadPairs[0].Prediction); // named after the partition's pair
        Assert.Contains("label 9", skipping.BadPairs[0].Error);
    }

    [Fact]
    public void A_sliced_pair_commits_with_its_last_slice_and_only_if_its_sum_fits()
    {
        var gt = LabelArray.Of(new byte[] { 0, 1, 2, 2, 255 });
        var pred = LabelArray.Of(new byte[] { 0, 1, 2, 0, 1 });
        var l = Ledger();
        Assert.Equal(LedgerOutcome.Pending, l.CountSlice(Slice(0, 0, 3, gt, pred, 0, 2)).Outcome);
        Assert.Equal(LedgerOutcome.Pending, l.CountSlice(Slice(0, 1, 3, gt, pred, 2, 2)).Outcome);
        Assert.Equal((0L, 0L), (l.Watermark, l.Pixels.Counted));
        Assert.Equal(LedgerOutcome.Counted, l.CountSlice(Slice(0, 2, 3, gt, pred, 4, 1)).Outcome);
        Assert.Equal((1L, Text(Rows([1, 0, 0], [0, 1, 0], [1, 0, 1])), new PixelCounts(4, 1, 0)), (l.Watermark, Text(l.Cells), l.Pixels));

        // Resumed with the ignored counter at the top: the pair's ignored pixel cannot be added.
        var full = Ledger(Resume(1, new long[9], new PixelCounts(0, long.MaxValue, 0)), skipBad: true);
        var before = State(full);
        full.CountSlice(Slice(1, 0, 2, gt, pred, 0, 2));
        var skipped = full.CountSlice(Slice(1, 1, 2, gt, pred, 2, 3));
        Assert.Equal(LedgerOutcome.Skipped, skipped.Outcome);
        Assert.Contains("overflow", skipped.Error, StringComparison.OrdinalIgnoreCase);
        Assert.Equal((before.Cells, before.Pixels, 2L), (Text(full.Cells), full.Pixels, full.Watermark));
    }

    [Fact]
    public void Resumes_from_a_partial_and_tracks_what_the_coordinator_acknowledged()
    {
        var resume = Resume(3, Rows([5, 0, 0], [0, 0, 0], [0, 0, 7]), new PixelCounts(12, 4, 0)) with
        {
            BadPairs = [new BadPair("/gt/1.png", "", "missing")],
        };
        var l = Ledger(resume);
        Assert.Equal((3L, 3L, 3L, false), (l.Watermark, l.AckedWatermark, l.SentWatermark, l.NeedsPartial));
        Assert.Equal(LedgerOutcome.Counted, l.CountSlice(Whole(3, [1], [1])).Outcome);
        Assert.True(l.NeedsPartial);
        Assert.False(l.PartialInFlight);
        var p = l.TakePartial();
        Assert.Equal(new PartitionPartial("r", 0, 4, ConfusionMatrix.FromRows([[5, 0, 0], [0, 1, 0], [0, 0, 7]]),
            new PixelCounts(13, 4, 0), resume.BadPairs, false), p);
        Assert.True(l.PartialInFlight);
        l.Accept(4, false);
        Assert.False(l.NeedsPartial);
        l.Close();
        Assert.True(l.NeedsPartial);
        Assert.True(l.TakePartial().Final);
        l.Accept(2, true); // an old watermark never lowers the acknowledged one
        Assert.Equal((4L, true), (l.AckedWatermark, l.Done));

        Assert.Equal(LedgerOutcome.Closed, l.CountSlice(Whole(4, [1], [1])).Outcome);

        var closed = Ledger(resume with { Final = true }, ingest: true);
        Assert.True(closed is { Final: true, Done: true, NeedsPartial: false });
        var late = closed.IngestMatrix(3, new ConfusionMatrix(3), PixelCounts.Zero);
        Assert.Equal(new LedgerStep(LedgerOutcome.Closed, "run 'r' is complete"), late);
    }

    /// <summary>
    /// Any sequence of accepted, refused (overflow of a cell, a pixel counter or a total; bad
    /// labels; bad shape; wrong class count), duplicate and gapped ingests leaves the ledger equal
    /// to the exact sum of the accepted ones.
    /// </summary>
    [Fact]
    public void Any_ingest_sequence_leaves_exactly_the_sum_of_the_accepted_batches()
    {
        Gen.Select(Gen.Int[0, 8], Gen.Int).Array[1, 40].Sample(ops =>
        {
            var l = Ledger(ingest: true);
            var cells = new BigInteger[9];
            BigInteger counted = 0, ignored = 0;
            var accepted = 0L;
            foreach (var (kind, seed) in ops)
            {
                var rng = new Random(seed);
                var seq = kind switch
                {
                    7 => accepted - 1 - rng.NextInt64(0, accepted + 1), // a duplicate (negative before the first batch: below the watermark too)
                    8 => accepted + 1 + rng.Next(3),                    // a gap
                    _ => accepted,
                };
                LedgerStep step;
                var delta = new BigInteger[9];
                BigInteger dCounted = 0, dIgnored = 0;
                var valid = true;
                if (kind is 0 or 1 or 2 or 7 or 8)
                {
                    var n = rng.Next(1, 12);
                    var gt = Enumerable.Range(0, n).Select(_ => (byte)(rng.Next(5) == 0 ? 255 : rng.Next(3))).ToArray();
                    var pred = Enumerable.Range(0, n).Select(_ => (byte)rng.Next(3)).ToArray();
                    if (kind == 1) gt[rng.Next(n)] = 7;
                    if (kind == 2) pred = [.. pred, 0];
                    valid = kind is 0 or 7 or 8;
                    for (var i = 0; i < n; i++)
                    {
                        if (gt[i] == 255) dIgnored++;
                        else if (gt[i] < 3)
                        {
                            delta[gt[i] * 3 + pred[i]]++;
                            dCounted++;
                        }
                    }
                    step = l.IngestLabels(seq, LabelArray.Of(gt), LabelArray.Of(pred), "s");
                }
                else
                {
                    var classes = kind == 5 ? 2 : 3;
                    var m = new ConfusionMatrix(classes);
                    for (var k = rng.Next(4); k > 0; k--)
                    {
                        var v = rng.Next(3) == 0 ? rng.NextInt64(long.MaxValue / 4, long.MaxValue) : rng.NextInt64(0, 1000);
                        var (t, p) = (rng.Next(classes), rng.Next(classes));
                        if (m[t, p] > long.MaxValue - v) v = long.MaxValue - m[t, p];
                        m.Add(t, p, v);
                        if (classes == 3) delta[t * 3 + p] += v;
                    }
                    var total = m.Cells.ToArray().Aggregate(BigInteger.Zero, (a, c) => a + c);
                    var extraIgnored = kind == 6 ? rng.NextInt64(long.MaxValue / 2, long.MaxValue) : rng.NextInt64(0, 100);
                    dCounted = total;
                    dIgnored = extraIgnored;
                    valid = classes == 3 && total <= long.MaxValue;
                    step = l.IngestMatrix(seq, m, new PixelCounts(total <= long.MaxValue ? (long)total : 0, extraIgnored, 0));
                }

                if (seq < accepted) Assert.Equal(LedgerOutcome.Duplicate, step.Outcome);
                else if (seq > accepted) Assert.Equal(LedgerOutcome.Gap, step.Outcome);
                else
                {
                    var fits = valid && counted + dCounted + ignored + dIgnored <= long.MaxValue
                        && cells.Zip(delta, (c, d) => c + d).All(x => x <= long.MaxValue);
                    Assert.Equal(fits ? LedgerOutcome.Counted : LedgerOutcome.Refused, step.Outcome);
                    if (fits)
                    {
                        for (var i = 0; i < 9; i++) cells[i] += delta[i];
                        counted += dCounted;
                        ignored += dIgnored;
                        accepted++;
                    }
                }
                Assert.Equal(accepted, l.Watermark);
                Assert.Equal(cells.Select(c => (long)c), l.Cells.ToArray());
                Assert.Equal(new PixelCounts((long)counted, (long)ignored, 0), l.Pixels);
            }
        }, iter: 300);
    }
}
