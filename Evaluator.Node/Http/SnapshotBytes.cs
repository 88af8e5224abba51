using Evaluator.Messages.Protocol;
using Evaluator.Node.Runs;

namespace Evaluator.Node.Http;

/// <summary>
/// Each snapshot serialized once and its bytes shared by every reader: the <c>/snapshot</c> body
/// (the report JSON, dense matrix) and the event-stream payload (sparse matrix). A 4096-class
/// snapshot is tens of megabytes of JSON; built per subscriber it cost seconds and gigabytes.
/// Holds the latest few snapshots (oldest evicted first).
/// </summary>
internal sealed class SnapshotBytes(int capacity = 16)
{
    private readonly object _lock = new();
    private readonly Dictionary<Key, Lazy<byte[]>> _entries = [];
    private readonly Queue<Key> _order = new();
    private int _serializations;

    /// <summary>How many snapshots this cache has serialized (for tests and diagnostics).</summary>
    public int Serializations => Volatile.Read(ref _serializations);

    /// <summary>The snapshot's report JSON (dense matrix, as <c>/snapshot</c> and the reports).</summary>
    public byte[] Report(RunSnapshot s) => Get(s, sparse: false);

    /// <summary>The snapshot's event payload: the report JSON with <c>confusion_cells</c> instead of <c>confusion_matrix</c>.</summary>
    public byte[] Event(RunSnapshot s) => Get(s, sparse: true);

    private byte[] Get(RunSnapshot s, bool sparse)
    {
        // The number orders a run's snapshots; the rest guards against a restarted count.
        var key = new Key(s.RunId, s.Number, s.Final, s.Pixels.Total, s.Status.ToString(), sparse);
        Lazy<byte[]> entry;
        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out entry!))
            {
                entry = new Lazy<byte[]>(() =>
                {
                    Interlocked.Increment(ref _serializations);
                    return ReportFormats.JsonBytes(s, indented: false, sparseMatrix: sparse);
                }, LazyThreadSafetyMode.ExecutionAndPublication);
                _entries[key] = entry;
                _order.Enqueue(key);
                while (_order.Count > capacity) _entries.Remove(_order.Dequeue());
            }
        }
        return entry.Value;
    }

    private sealed record Key(string Run, long Number, bool Final, long Pixels, string Status, bool Sparse);
}
