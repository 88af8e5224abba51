using System.Runtime.CompilerServices;
using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Evaluator.Messages.Protocol;

namespace Evaluator.Node.Runs;

/// <summary>One pair's result as the journal holds it, with the pair it belongs to.</summary>
/// <param name="Index">The pair's place in the run (pair order: partition after partition, seq within one).</param>
internal sealed record PerImageRow(long Index, FilePair Pair, ImageResult Result);

/// <summary>
/// The per-image results of a run, read back from its journal (Akka.Persistence.Query over the
/// SQL journal: the coordinator journals each pair's result once, in a <see cref="PartialRecorded"/>,
/// and keeps none). Streamed in pair order without holding them: partitions are contiguous
/// ranges of the sorted pair list (<see cref="Inputs.PairDiscovery.Partition"/>), so pair order
/// is partition order, then seq; the events are read once per partition, and a row whose
/// (partition, seq) was already read is dropped.
/// </summary>
internal static class PerImageResults
{
    private static SqlReadJournal Journal(ActorSystem system) =>
        PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(SqlReadJournal.Identifier);

    private static Source<object, Akka.NotUsed> Events(ActorSystem system, string runId) =>
        Journal(system).CurrentEventsByPersistenceId(Actors.EntityIds.RunPersistenceId(runId), 0, long.MaxValue).Select(e => e.Event);

    /// <summary>The run as it was created (its stored partitions and per-image option), or null for an unknown run.</summary>
    public static async Task<StartRun?> StartOfAsync(ActorSystem system, string runId, CancellationToken cancel = default)
    {
        var started = await Events(system, runId).Where(e => e is RunStarted).Take(1)
            .RunWith(Sink.FirstOrDefault<object>(), system.Materializer()).WaitAsync(cancel);
        return (started as RunStarted)?.Start;
    }

    /// <summary>Every recorded row of <paramref name="start"/>'s run, in pair order, each pair at most once.</summary>
    /// <param name="watermarks">
    /// Only the rows below these watermarks (one per partition, a snapshot's): exactly the pairs
    /// that snapshot's matrix holds, even when partials were recorded after it (e.g. the last
    /// partials of a failed run's other partitions). Null: every recorded row.
    /// </param>
    public static async IAsyncEnumerable<PerImageRow> ReadAsync(ActorSystem system, StartRun start,
        IReadOnlyList<long>? watermarks = null, [EnumeratorCancellation] CancellationToken cancel = default)
    {
        var materializer = system.Materializer();
        long first = 0;
        foreach (var partition in start.Partitions)
        {
            var p = partition.Partition;
            var end = Math.Min(partition.Pairs.Length, watermarks is null ? long.MaxValue : watermarks[p]);
            long next = 0; // rows of a partition are journalled in increasing seq: one below is a repeat
            var rows = Events(system, start.RunId)
                .Where(e => e is PartialRecorded r && r.Partial.Partition == p && !r.Partial.Images.IsEmpty)
                .SelectMany(e => ((PartialRecorded)e).Partial.Images);
            await foreach (var image in rows.RunAsAsyncEnumerable(materializer).WithCancellation(cancel))
            {
                if (image.Seq < next || image.Seq >= end) continue;
                next = image.Seq + 1;
                yield return new PerImageRow(first + image.Seq, partition.Pairs[(int)image.Seq], image);
            }
            first += partition.Pairs.Length;
        }
    }
}
