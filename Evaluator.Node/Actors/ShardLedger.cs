using System.Collections.Immutable;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Kernel;

namespace Evaluator.Node.Actors;

/// <summary>What became of a batch (or a slice of one) handed to a <see cref="ShardLedger"/>.</summary>
internal enum LedgerOutcome
{
    /// <summary>Counted: the watermark moved on by one.</summary>
    Counted,

    /// <summary>A slice of a pair was counted aside; the pair commits with its last slice.</summary>
    Pending,

    /// <summary>Already counted (seq below the watermark): nothing changed.</summary>
    Duplicate,

    /// <summary>Ahead of the watermark: nothing changed; the watermark is the seq expected.</summary>
    Gap,

    /// <summary>The pair could not be counted; recorded as bad and passed (--skip-bad).</summary>
    Skipped,

    /// <summary>Bad data or an overflow: refused, nothing changed (<see cref="LedgerStep.Error"/> says why).</summary>
    Refused,

    /// <summary>The partition is final: no more batches, nothing changed.</summary>
    Closed,
}

/// <summary>What one ledger operation did.</summary>
internal readonly record struct LedgerStep(LedgerOutcome Outcome, string? Error = null);

/// <summary>
/// The state of one partition of one run, without any actor around it: <c>(watermark, int64
/// matrix, pixel counts, bad pairs)</c> where the matrix holds exactly batches [0, watermark),
/// the seq rules (duplicate, gap, next), the pair being counted slice by slice, and what the
/// coordinator has acknowledged. Every operation is all-or-nothing: one that is refused (bad
/// labels, wrong shape or class count, an overflow of a cell, of a pixel counter or of the
/// partition's pixel total) leaves the
/// ledger exactly as it was, so a client's retry cannot count a batch twice.
/// </summary>
/// <remarks>
/// Overflow can only come from precomputed matrices and pixel counts (<see cref="IngestMatrix"/>,
/// or a resumed partial): counting pixels adds at most one per pixel. The kernel validates its
/// labels before it touches its matrix, and adds unchecked. So labels are counted straight into
/// the ledger's matrix when the ledger has headroom for them: every cell is at most
/// <c>_cellBound</c> and every pixel counter at most its value, so when all of them are
/// ≤ long.MaxValue − n, counting n pixels can overflow nothing and the commit cannot fail after
/// the matrix changed (a few comparisons per batch). Without that headroom they are counted
/// into a scratch matrix and merged by the checked <see cref="ConfusionMatrix.Merge"/>, which
/// checks every cell before it changes any; the new pixel counts are computed (checked) before
/// the merge and stored after it.
/// </remarks>
internal sealed class ShardLedger
{
    private readonly ConfusionMatrix _matrix;
    private ConfusionCounter? _counter;
    private ConfusionMatrix? _scratch;

    // Upper bound of every cell of the matrix (saturating): the direct-count headroom test.
    private long _cellBound;

    // A pair that arrives in several slices is counted into a scratch matrix first and
    // committed with its last slice, so a bad slice never leaves half a pair counted.
    private ConfusionMatrix? _pairMatrix;
    private PixelCounts _pairPixels;

    // Per-image runs: the results of the pairs committed and not yet acknowledged, in seq order
    // (seq in [AckedWatermark, Watermark)); they travel with every partial until acknowledged.
    private readonly List<ImageResult> _images = [];

    // Boundary IoU runs: the partition's per-class boundary sums over batches [0, Watermark), and
    // the kernel with its work buffers (kept for every pair of the partition).
    private BoundaryCounts? _boundary;
    private BoundaryCounter? _boundaryCounter;

    // Cityscapes protocol runs: the partition's instance statistics over batches [0, Watermark)
    // (each pair's come with its batches, counted where it was decoded).
    private Messages.Cityscapes.CityscapesInstanceStats? _cityscapes;

    public ShardLedger(StartPartition start, ConfusionCounter? previousCounter = null)
    {
        Start = start;
        var resume = start.Resume;
        _matrix = resume.Matrix.Clone();
        Pixels = resume.Pixels;
        Watermark = resume.Watermark;
        BadPairs = resume.BadPairs;
        Final = resume.Final;
        AckedWatermark = resume.Watermark;
        SentWatermark = resume.Watermark;
        AckedFinal = resume.Final; // the coordinator holds (persisted) the final partial it resumed us from
        if (start.BoundaryDilation is not null)
            _boundary = resume.Boundary ?? BoundaryCounts.Zero(start.Spec.NumClasses);
        if (start.CityscapesProtocol)
            _cityscapes = resume.Cityscapes ?? Messages.Cityscapes.CityscapesInstanceStats.Zero;
        _counter = previousCounter is not null && previousCounter.Spec.Equals(start.Spec) ? previousCounter : null;
        if (_matrix.IsAllocated) // an empty resume holds no cells: allocated with the first count
        {
            foreach (var c in _matrix.Cells) _cellBound = Math.Max(_cellBound, c);
        }
    }

    public StartPartition Start { get; }
    public long Watermark { get; private set; }
    public PixelCounts Pixels { get; private set; }
    public ImmutableArray<BadPair> BadPairs { get; private set; }

    /// <summary>No more batches: the stream ended or the run was completed.</summary>
    public bool Final { get; private set; }

    /// <summary>The highest watermark the coordinator has persisted.</summary>
    public long AckedWatermark { get; private set; }

    /// <summary>The watermark of the last partial sent.</summary>
    public long SentWatermark { get; private set; }

    public bool AckedFinal { get; private set; }

    /// <summary>Per-image runs: how many pair results wait for the coordinator (bounded by the pairs in flight).</summary>
    public int ImagesInFlight => _images.Count;

    /// <summary>Per-image runs: the matrix cells of those results (what a partial carries for them).</summary>
    public long CellsInFlight { get; private set; }

    /// <summary>The matrix of batches [0, <see cref="Watermark"/>), read-only.</summary>
    public ReadOnlySpan<long> Cells => _matrix.Cells;

    /// <summary>The kernel counter of this spec (built on first use; handed on to the next ledger).</summary>
    public ConfusionCounter Counter => _counter ??= new ConfusionCounter(Start.Spec);

    /// <summary>The counter if one was built, for the next start to reuse.</summary>
    public ConfusionCounter? BuiltCounter => _counter;

    // ---- seq rules ------------------------------------------------------------------------

    /// <summary>Null when <paramref name="seq"/> is the next batch; otherwise the step that leaves everything as it is.</summary>
    private LedgerStep? NotNext(long seq) =>
        Final ? new LedgerStep(LedgerOutcome.Closed, $"run '{Start.RunId}' is complete")
        : seq < Watermark ? new LedgerStep(LedgerOutcome.Duplicate)
        : seq > Watermark ? new LedgerStep(LedgerOutcome.Gap,
            $"batch {seq} is ahead: the next expected batch of partition {Start.Partition} is {Watermark}")
        : null;

    // ---- ingest (HTTP): refused batches change nothing, never skipped ----------------------

    /// <summary>Counts a client's label batch <paramref name="seq"/>.</summary>
    public LedgerStep IngestLabels(long seq, LabelArray gt, LabelArray pred, string source)
    {
        if (NotNext(seq) is { } early) return early;
        if (Start.BoundaryDilation is not null) return NoIngestForBoundary();
        try
        {
            CountAndCommit(gt, pred, 0, gt.Length, source);
        }
        catch (EvaluatorException e)
        {
            return new LedgerStep(LedgerOutcome.Refused, e.Message);
        }
        return new LedgerStep(LedgerOutcome.Counted);
    }

    /// <summary>Merges a client's precomputed matrix as batch <paramref name="seq"/>.</summary>
    public LedgerStep IngestMatrix(long seq, ConfusionMatrix matrix, PixelCounts pixels)
    {
        if (NotNext(seq) is { } early) return early;
        if (Start.BoundaryDilation is not null) return NoIngestForBoundary();
        try
        {
            if (matrix.NumClasses != _matrix.NumClasses)
                throw new InvalidRunSpecException($"a {matrix.NumClasses}-class matrix for a {_matrix.NumClasses}-class run");
            if (pixels.Counted != TotalOf(matrix))
                throw new InvalidRunSpecException($"counted pixels {pixels.Counted} differ from the matrix total {TotalOf(matrix)}");
            Commit(matrix, pixels);
        }
        catch (EvaluatorException e)
        {
            return new LedgerStep(LedgerOutcome.Refused, e.Message);
        }
        return new LedgerStep(LedgerOutcome.Counted);
    }

    /// <summary>Ingest batches have no image shape: boundary IoU runs read files only (the HTTP API refuses such runs first).</summary>
    private LedgerStep NoIngestForBoundary() =>
        new(LedgerOutcome.Refused, $"run '{Start.RunId}' computes boundary IoU, which needs whole images: it cannot take ingested batches");

    /// <summary>A matrix's total, or an overflow error (then it cannot match any int64 pixel count).</summary>
    private static long TotalOf(ConfusionMatrix m)
    {
        try
        {
            return m.Total;
        }
        catch (OverflowException e)
        {
            throw new CountOverflowException("matrix total", e);
        }
    }

    // ---- file stream ----------------------------------------------------------------------

    /// <summary>
    /// Counts one slice of the stream's batch <paramref name="b"/>. A pair that cannot be counted
    /// (unreadable, bad labels, overflow) is <see cref="LedgerOutcome.Skipped"/> whole with
    /// --skip-bad and <see cref="LedgerOutcome.Refused"/> otherwise; either way none of it is counted.
    /// </summary>
    public LedgerStep CountSlice(Batch b)
    {
        if (NotNext(b.Seq) is { } early) return early;
        try
        {
            return CountSliceAt(b);
        }
        catch (EvaluatorException e)
        {
            var pair = PairOf(b);
            var message = Start.CityscapesProtocol && e is LabelOutOfRangeException range
                ? Messages.Cityscapes.CityscapesLabels.OutOfRange(range, pair.GroundTruth, pair.Prediction)
                : e.Message;
            return Skip(new BadPair(pair.GroundTruth, pair.Prediction, message));
        }
    }

    private LedgerStep CountSliceAt(Batch b)
    {
        if (b.Bad is { } bad) return Skip(bad);
        var gt = b.GroundTruth!;
        var pred = b.Prediction!;
        var boundaryRun = Start.BoundaryDilation is not null;
        var cityscapesRun = Start.CityscapesProtocol;
        if (b.SliceCount == 1 && !Start.PerImage && !boundaryRun && !cityscapesRun)
        {
            CountAndCommit(gt, pred, b.Offset, b.Length, b.Source);
            return new LedgerStep(LedgerOutcome.Counted);
        }
        // Several slices, a per-image run (the pair's own matrix is its result) or a boundary IoU
        // run (the pair's boundary sums commit with its matrix): the pair is counted into its own
        // matrix and committed with its last slice.
        if (b.Slice == 0)
        {
            _pairMatrix ??= new ConfusionMatrix(_matrix.NumClasses);
            _pairMatrix.Clear();
            _pairPixels = PixelCounts.Zero;
        }
        if (_pairMatrix is null) return new LedgerStep(LedgerOutcome.Pending); // a slice of a pair already dropped
        // The pair's matrix starts at zero and grows by at most the slice's pixels: its cells stay
        // below its (checked) pixel total, so the kernel's unchecked adds are exact here.
        _pairPixels += LabelCounting.Count(Counter, gt, pred, b.Offset, b.Length, _pairMatrix, b.Source);
        if (!b.IsLastSlice) return new LedgerStep(LedgerOutcome.Pending);
        var image = Start.PerImage ? ImageResult.Of(b.Seq, _pairMatrix, _pairPixels) : null;
        // Boundary sums of the whole pair (its labels were validated by the counts above), added
        // checked before the commit and stored after it: all or nothing with the pair's matrix.
        var boundary = boundaryRun ? AddBoundary(gt, pred, b.Source) : null;
        var cityscapes = cityscapesRun ? AddCityscapes(b) : null;
        Commit(_pairMatrix, _pairPixels);
        if (boundary is not null) _boundary = boundary;
        if (cityscapes is not null) _cityscapes = cityscapes;
        if (image is not null)
        {
            _images.Add(image); // after the commit: a refused pair leaves no row
            CellsInFlight += image.Cells.Length;
        }
        return new LedgerStep(LedgerOutcome.Counted);
    }

    private Messages.Cityscapes.CityscapesInstanceStats AddCityscapes(Batch b)
    {
        var pair = b.Cityscapes ?? throw new BadInputException(b.Source, "the pair came without its Cityscapes instance statistics");
        try
        {
            return _cityscapes!.Add(pair);
        }
        catch (OverflowException e)
        {
            throw new CountOverflowException($"partition {Start.Partition}'s Cityscapes instance statistics", e);
        }
    }

    private BoundaryCounts AddBoundary(LabelArray gt, LabelArray pred, string source)
    {
        _boundaryCounter ??= new BoundaryCounter(Start.Spec, Start.BoundaryDilation!.Value);
        var pair = _boundaryCounter.Count(gt, pred, source);
        try
        {
            return _boundary!.Add(pair);
        }
        catch (OverflowException e)
        {
            throw new CountOverflowException($"partition {Start.Partition}'s boundary IoU sums", e);
        }
    }

    /// <summary>Records <paramref name="bad"/> and passes its batch (--skip-bad), or refuses it.</summary>
    private LedgerStep Skip(BadPair bad)
    {
        _pairMatrix = null; // later slices of this pair are now stale
        if (!Start.SkipBad) return new LedgerStep(LedgerOutcome.Refused, bad.Error);
        BadPairs = BadPairs.Add(bad);
        Watermark++;
        return new LedgerStep(LedgerOutcome.Skipped, bad.Error);
    }

    /// <summary>Batch n of a partition is its n-th pair.</summary>
    private FilePair PairOf(Batch b) =>
        b.Seq < Start.Assignment.Pairs.Length ? Start.Assignment.Pairs[(int)b.Seq] : new FilePair(b.Source, "");

    /// <summary>Forgets a pair counted in part (its stream was stopped).</summary>
    public void DropPair() => _pairMatrix = null;

    // ---- commits --------------------------------------------------------------------------

    /// <summary>Counts labels [offset, offset + length) as the next batch, all or nothing (see the remarks).</summary>
    private void CountAndCommit(LabelArray gt, LabelArray pred, int offset, int length, string source)
    {
        var headroom = long.MaxValue - length;
        if (_cellBound <= headroom && Pixels.WideTotal <= headroom)
        {
            // Nothing can overflow: the kernel either throws before touching the matrix or counts it all.
            var counts = LabelCounting.Count(Counter, gt, pred, offset, length, _matrix, source);
            Pixels += counts;
            Advance(counts.Counted);
            return;
        }
        _scratch ??= new ConfusionMatrix(_matrix.NumClasses);
        _scratch.Clear();
        Commit(_scratch, LabelCounting.Count(Counter, gt, pred, offset, length, _scratch, source));
    }

    /// <summary>Adds a batch's matrix and pixels, checked: on any overflow nothing changes.</summary>
    private void Commit(ConfusionMatrix matrix, PixelCounts pixels)
    {
        var sum = Pixels + pixels; // throws before anything changed
        // The partition's pixel total (counted + ignored + out of range) must fit an int64 too:
        // a snapshot, a progress line and the run's total all add it up.
        if (!sum.Representable) throw new CountOverflowException($"partition {Start.Partition}'s pixel total");
        _matrix.Merge(matrix);     // checks every cell before it changes any
        Pixels = sum;
        Advance(pixels.Counted);
    }

    /// <summary>The batch is in: no cell grew by more than the pixels it counted.</summary>
    private void Advance(long counted)
    {
        _cellBound = _cellBound > long.MaxValue - counted ? long.MaxValue : _cellBound + counted;
        Watermark++;
    }

    // ---- partials and acknowledgements ---------------------------------------------------

    /// <summary>Ends the partition at its current watermark.</summary>
    public void Close() => Final = true;

    /// <summary>The coordinator has not persisted everything yet.</summary>
    public bool NeedsPartial => Watermark > AckedWatermark || (Final && !AckedFinal);

    /// <summary>A partial is sent and not yet acknowledged.</summary>
    public bool PartialInFlight => SentWatermark > AckedWatermark;

    /// <summary>Persisted by the coordinator, final included: the partition is done.</summary>
    public bool Done => Final && AckedFinal;

    /// <summary>The cumulative partial to send (a copy: the ledger counts on).</summary>
    public PartitionPartial TakePartial()
    {
        SentWatermark = Watermark;
        return new PartitionPartial(Start.RunId, Start.Partition, Watermark, _matrix.Clone(), Pixels, BadPairs, Final)
        {
            Images = [.. _images],
            Boundary = _boundary,
            Cityscapes = _cityscapes,
        };
    }

    /// <summary>The coordinator holds <paramref name="watermark"/>: the results of the pairs below it are journalled.</summary>
    public void Accept(long watermark, bool final)
    {
        if (watermark >= AckedWatermark) AckedWatermark = watermark;
        if (final) AckedFinal = true;
        var acked = AckedWatermark;
        _images.RemoveAll(i => i.Seq < acked);
        CellsInFlight = _images.Sum(i => (long)i.Cells.Length);
    }
}
