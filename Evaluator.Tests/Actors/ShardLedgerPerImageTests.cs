using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Actors;

namespace Evaluator.Tests.Actors;

/// <summary>Per-image runs in the shard's ledger: one result a committed pair, carried until acknowledged.</summary>
public sealed class ShardLedgerPerImageTests
{
    private static readonly RunSpec Spec = new(3, ignoreLabels: [255]);

    private static ShardLedger Ledger(bool perImage = true, bool skipBad = false, PartitionPartial? resume = null) =>
        new(new StartPartition("r", 0, Spec,
            new PartitionAssignment(0, [.. Enumerable.Range(0, 8).Select(i => new FilePair($"/gt/{i}.png", $"/pred/{i}.png"))], 1000, null),
            resume ?? PartitionPartial.Empty("r", 0, 3), skipBad, PerImage: perImage));

    private static Batch Whole(long seq, byte[] gt, byte[] pred) =>
        new("r", 0, seq, 0, 1, $"/gt/{seq}.png", LabelArray.Of(gt), LabelArray.Of(pred), 0, gt.Length, null);

    private static Batch Slice(long seq, int slice, int count, LabelArray gt, LabelArray pred, int offset, int length) =>
        new("r", 0, seq, slice, count, $"/gt/{seq}.png", gt, pred, offset, length, null);

    private static Batch Bad(long seq) =>
        new("r", 0, seq, 0, 1, $"/gt/{seq}.png", null, null, 0, 0, new BadPair($"/gt/{seq}.png", "", "corrupt"));

    /// <summary>An independent recount of one pair: (row, col) → count, and the pixel counts.</summary>
    private static (MatrixCell[] Cells, PixelCounts Pixels) Recount(byte[] gt, byte[] pred)
    {
        var counts = new SortedDictionary<(int, int), long>();
        long ignored = 0;
        for (var i = 0; i < gt.Length; i++)
        {
            if (gt[i] == 255)
            {
                ignored++;
                continue;
            }
            counts[(gt[i], pred[i])] = counts.GetValueOrDefault((gt[i], pred[i])) + 1;
        }
        return ([.. counts.Select(kv => new MatrixCell(kv.Key.Item1, kv.Key.Item2, kv.Value))],
            new PixelCounts(counts.Values.Sum(), ignored, 0));
    }

    [Fact]
    public void Every_committed_pair_gets_one_row_with_its_exact_cells_a_skipped_pair_none()
    {
        var l = Ledger(skipBad: true);
        byte[] gt0 = [0, 1, 2, 255, 1], pred0 = [0, 1, 1, 2, 1];
        byte[] gt2 = [2, 2, 2], pred2 = [2, 0, 2];
        Assert.Equal(LedgerOutcome.Counted, l.CountSlice(Whole(0, gt0, pred0)).Outcome);
        Assert.Equal(LedgerOutcome.Duplicate, l.CountSlice(Whole(0, gt0, pred0)).Outcome); // no second row
        Assert.Equal(LedgerOutcome.Skipped, l.CountSlice(Bad(1)).Outcome);
        Assert.Equal(LedgerOutcome.Counted, l.CountSlice(Whole(2, gt2, pred2)).Outcome);

        var images = l.TakePartial().Images;
        Assert.Equal([0L, 2L], images.Select(i => i.Seq));
        var (cells0, pixels0) = Recount(gt0, pred0);
        Assert.Equal(cells0, images[0].Cells);
        Assert.Equal(pixels0, images[0].Pixels);
        Assert.Equal(Recount(gt2, pred2).Cells, images[1].Cells);

        // The rows sum to the ledger's matrix, exactly.
        var sum = new ConfusionMatrix(3);
        foreach (var i in images) sum.Merge(i.ToMatrix(3));
        Assert.Equal(l.Cells.ToArray(), sum.Cells.ToArray());
    }

    [Fact]
    public void A_sliced_pair_forms_its_row_once_at_its_last_slice()
    {
        var gt = LabelArray.Of(new byte[] { 0, 1, 2, 2, 255 });
        var pred = LabelArray.Of(new byte[] { 0, 1, 2, 0, 1 });
        var l = Ledger();
        Assert.Equal(LedgerOutcome.Pending, l.CountSlice(Slice(0, 0, 3, gt, pred, 0, 2)).Outcome);
        Assert.Equal(LedgerOutcome.Pending, l.CountSlice(Slice(0, 1, 3, gt, pred, 2, 2)).Outcome);
        Assert.Equal(0, l.ImagesInFlight);
        Assert.Equal(LedgerOutcome.Counted, l.CountSlice(Slice(0, 2, 3, gt, pred, 4, 1)).Outcome);
        var row = Assert.Single(l.TakePartial().Images);
        Assert.Equal(Recount([0, 1, 2, 2, 255], [0, 1, 2, 0, 1]).Cells, row.Cells);
        Assert.Equal(new PixelCounts(4, 1, 0), row.Pixels);
    }

    [Fact]
    public void A_refused_pair_leaves_no_row_and_nothing_counted()
    {
        var l = Ledger();
        var gt = LabelArray.Of(new byte[] { 1, 1, 9, 1 });
        var pred = LabelArray.Of(new byte[] { 1, 1, 1, 1 });
        Assert.Equal(LedgerOutcome.Pending, l.CountSlice(Slice(0, 0, 2, gt, pred, 0, 2)).Outcome);
        Assert.Equal(LedgerOutcome.Refused, l.CountSlice(Slice(0, 1, 2, gt, pred, 2, 2)).Outcome);
        Assert.Equal(LedgerOutcome.Refused, l.CountSlice(Whole(0, [0, 7], [0, 0])).Outcome);
        Assert.Equal((0L, 0), (l.Watermark, l.ImagesInFlight));
        Assert.Empty(l.TakePartial().Images);

        // An overflow at commit (a resumed ignored counter at the top) leaves no row either.
        var full = Ledger(skipBad: true, resume: PartitionPartial.Empty("r", 0, 3) with { Watermark = 1, Pixels = new PixelCounts(0, long.MaxValue, 0) });
        Assert.Equal(LedgerOutcome.Skipped, full.CountSlice(Whole(1, [255, 1], [0, 1])).Outcome);
        Assert.Equal(0, full.ImagesInFlight);
    }

    [Fact]
    public void Rows_travel_until_acknowledged_so_those_in_flight_stay_bounded()
    {
        var l = Ledger();
        for (var seq = 0; seq < 3; seq++) l.CountSlice(Whole(seq, [1, 2], [1, 1]));
        var first = l.TakePartial();
        Assert.Equal([0L, 1L, 2L], first.Images.Select(i => i.Seq));
        l.CountSlice(Whole(3, [0], [0]));
        // Not yet acknowledged: the next partial carries them again (the coordinator records each once).
        Assert.Equal([0L, 1L, 2L, 3L], l.TakePartial().Images.Select(i => i.Seq));
        Assert.Equal(7, l.CellsInFlight); // pairs 0-2 have cells (1,1) and (2,1), pair 3 has (0,0)
        l.Accept(first.Watermark, false);
        Assert.Equal(1, l.ImagesInFlight);
        Assert.Equal(1, l.CellsInFlight);
        Assert.Equal([3L], l.TakePartial().Images.Select(i => i.Seq));
        l.CountSlice(Whole(4, [0], [0]));
        l.Accept(5, false);
        Assert.Equal(0, l.ImagesInFlight);
        Assert.Empty(l.TakePartial().Images);

        // However many pairs a partition counts, what it holds is the pairs since the last acknowledgement.
        for (var seq = 5; seq < 8; seq++)
        {
            l.CountSlice(Whole(seq, [1], [1]));
            Assert.True(l.ImagesInFlight <= l.Watermark - l.AckedWatermark);
            l.Accept(l.Watermark, false);
            Assert.Equal(0, l.ImagesInFlight);
        }
    }

    [Fact]
    public void Without_per_image_no_rows_are_kept()
    {
        var l = Ledger(perImage: false);
        l.CountSlice(Whole(0, [1, 2], [1, 1]));
        Assert.Equal(0, l.ImagesInFlight);
        Assert.Empty(l.TakePartial().Images);
    }
}
