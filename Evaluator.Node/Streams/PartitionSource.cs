using Akka;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Inputs;
using Evaluator.Node.Kernel;
using Evaluator.Node.Runtime;

namespace Evaluator.Node.Streams;

/// <summary>
/// The backpressured stream of one partition: its pairs from the watermark on, decoded in
/// parallel (order kept), cut into slices of batch-pixels, into the shard actor with
/// acknowledgement (<c>Sink.ActorRefWithAck</c>: one batch in flight, small buffers, so
/// memory stays flat whatever the dataset size). The label arrays of a pair are pooled or
/// memory-mapped; the shard disposes them after the pair's last slice (a stream stopped midway
/// leaves them to the garbage collector).
/// </summary>
internal static class PartitionSource
{
    /// <summary>
    /// Decoded pairs, or the reason a pair could not be read. An unreadable pair travels down the
    /// stream in its place (it does not fail the stream), so that the pairs before it are counted
    /// first whatever the decode parallelism; the shard then skips it (--skip-bad) or fails the run.
    /// </summary>
    /// <param name="Reserved">The pair's share of the decode budget, given back once its last slice has left.</param>
    private sealed record Decoded(long Seq, FilePair Pair, LabelArray? GroundTruth, LabelArray? Prediction, BadPair? Bad,
        IDisposable? Reserved = null)
    {
        /// <summary>Cityscapes protocol runs: the pair's instance statistics (its instanceIds file read here, off the stream's thread).</summary>
        public Messages.Cityscapes.CityscapesInstanceStats? Cityscapes { get; init; }
    }

    /// <param name="stats">Where decode work is added up (the ActorSystem's <see cref="DecodeStats"/>); none when null.</param>
    /// <param name="budget">
    /// The node's decode memory budget (the ActorSystem's <see cref="DecodeBudget"/>); when null,
    /// one of <see cref="EvaluatorSettings.DecodeMemoryBudget"/> for this stream alone.
    /// </param>
    public static Source<Batch, NotUsed> Create(StartPartition start, EvaluatorSettings settings, DecodeStats? stats = null,
        DecodeBudget? budget = null)
    {
        var pairs = start.Assignment.Pairs;
        var first = start.Resume.Watermark;
        var raw = start.Assignment.Raw;
        var batchPixels = start.Assignment.BatchPixels > 0 ? start.Assignment.BatchPixels : settings.BatchPixels;

        var memory = budget ?? new DecodeBudget(settings.DecodeMemoryBudget);
        // One session per materialization: what a stopped stream still holds goes back to the budget.
        var source = Source.Lazily(() =>
        {
            var session = memory.Open();
            return Source.From(Enumerable.Range((int)first, Math.Max(0, pairs.Length - (int)first)))
                .SelectAsync(settings.DecodeParallelism, i => ReserveAndDecodeAsync(i, pairs[i], raw, settings.MemoryMapFiles, stats, session,
                    start.CityscapesProtocol))
                .SelectMany(d => Slices(start, d, batchPixels))
                .WatchTermination((_, done) =>
                {
                    done.ContinueWith(_ => session.Dispose(), TaskScheduler.Default);
                    return NotUsed.Instance;
                });
        }).MapMaterializedValue(_ => NotUsed.Instance);
        if (settings.ThrottlePairsPerSecond > 0)
        {
            source = source.Throttle(1, TimeSpan.FromSeconds(1 / settings.ThrottlePairsPerSecond), 1,
                b => b.Slice == 0 ? 1 : 0, ThrottleMode.Shaping);
        }
        return source.WithAttributes(Attributes.CreateInputBuffer(1, 4));
    }

    /// <summary>Materializes the stream into <paramref name="shard"/>; the kill switch stops it.</summary>
    public static UniqueKillSwitch Run(StartPartition start, EvaluatorSettings settings, IActorRef shard,
        IMaterializer materializer) =>
        Create(start, settings, materializer is ActorMaterializer m ? DecodeStats.Get(m.System) : null,
                materializer is ActorMaterializer b ? DecodeBudget.Get(b.System) : null)
            .ViaMaterialized(KillSwitches.Single<Batch>(), Keep.Right)
            .To(Sink.ActorRefWithAck<Batch>(shard,
                new StreamInit(start.RunId, start.Partition),
                StreamAck.Instance,
                new StreamCompleted(start.RunId, start.Partition),
                e => new StreamFailed(start.RunId, start.Partition, e.Message))
                // The sink would otherwise buffer up to 16 batches (the materializer's default)
                // while it waits for each acknowledgement: tens of MiB per partition.
                .WithAttributes(Attributes.CreateInputBuffer(1, 1)))
            .Run(materializer);

    /// <summary>
    /// Reserves the pair's decoded size in the budget (waiting while it is used), then decodes it
    /// off the stream's thread. A pair larger than the whole budget is a bad pair.
    /// </summary>
    /// <remarks>
    /// The headers are read and the reservation is queued synchronously, as the stage calls this
    /// for each pair in order: the pairs of a partition then get their bytes in their order. (Queued
    /// out of order, later pairs could hold the budget while the pair the stage must emit first waits.)
    /// </remarks>
    private static async Task<Decoded> ReserveAndDecodeAsync(long seq, FilePair pair, RawLayout? raw, bool memoryMap,
        DecodeStats? stats, DecodeBudget.Session session, bool cityscapes = false)
    {
        var bytes = LabelFileReader.DecodeBytes(pair.GroundTruth, raw, memoryMap)
                    + (string.IsNullOrEmpty(pair.Prediction) ? 0 : LabelFileReader.DecodeBytes(pair.Prediction, raw, memoryMap));
        if (bytes > session.Capacity)
        {
            var e = new BadInputException(pair.GroundTruth,
                $"decoding this pair needs {bytes:N0} bytes, more than the decode memory budget of {session.Capacity:N0} bytes " +
                "(evaluator.decode-memory-budget, EVALUATOR_DECODE_MEMORY_BUDGET)");
            return new Decoded(seq, pair, null, null, new BadPair(pair.GroundTruth, pair.Prediction, e.Message));
        }
        var reserved = await session.ReserveAsync(bytes);
        try
        {
            var d = await Task.Run(() => Decode(seq, pair, raw, memoryMap, stats, cityscapes));
            if (d.Bad is not null)
            {
                reserved.Dispose();
                return d;
            }
            return d with { Reserved = reserved };
        }
        catch
        {
            reserved.Dispose();
            throw;
        }
    }

    private static Decoded Decode(long seq, FilePair pair, RawLayout? raw, bool memoryMap, DecodeStats? stats, bool cityscapes)
    {
        try
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var (gt, pred) = LabelFileReader.ReadPair(pair, raw, memoryMap);
            stats?.Add((long)gt.Length + pred.Length, System.Diagnostics.Stopwatch.GetTimestamp() - started,
                gt.IsMapped && pred.IsMapped);
            if (!cityscapes) return new Decoded(seq, pair, gt, pred, null);
            try
            {
                return new Decoded(seq, pair, gt, pred, null) { Cityscapes = CityscapesInstanceCounter.Count(pair.GroundTruth, pred) };
            }
            catch
            {
                gt.Dispose();
                pred.Dispose();
                throw;
            }
        }
        catch (EvaluatorException e)
        {
            return new Decoded(seq, pair, null, null, new BadPair(pair.GroundTruth, pair.Prediction, e.Message));
        }
    }

    private static IEnumerable<Batch> Slices(StartPartition start, Decoded d, int batchPixels)
    {
        var source = d.Pair.GroundTruth;
        if (d.Bad is not null || d.GroundTruth is null || d.Prediction is null)
        {
            d.Reserved?.Dispose();
            yield return new Batch(start.RunId, start.Partition, d.Seq, 0, 1, source, null, null, 0, 0, d.Bad);
            yield break;
        }
        try
        {
            var n = d.GroundTruth.Length;
            var count = Math.Max(1, (int)((n + (long)batchPixels - 1) / batchPixels));
            for (var s = 0; s < count; s++)
            {
                var offset = (int)Math.Min(n, (long)s * batchPixels);
                var length = Math.Min(batchPixels, n - offset);
                yield return new Batch(start.RunId, start.Partition, d.Seq, s, count, source, d.GroundTruth, d.Prediction,
                    offset, length, null)
                { Cityscapes = d.Cityscapes };
            }
        }
        finally
        {
            // The last slice went downstream (or the stream stopped): the pair's bytes leave the decode stage.
            d.Reserved?.Dispose();
        }
    }
}
