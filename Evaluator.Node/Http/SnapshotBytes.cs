using Evaluator.Messages.Protocol;
using Evaluator.Node.Runs;

namespace Evaluator.Node.Http;

/// <summary>
/// Each snapshot serialized once per form and its bytes shared by every reader: the
/// <c>/snapshot</c> body (the report JSON, dense matrix), the event-stream payload (sparse
/// matrix) and the final <c>report.json</c> (indented). A 4096-class snapshot is tens of
/// megabytes of dense JSON; built per subscriber it cost seconds and gigabytes. Holds the latest
/// few serializations, at most <c>capacity</c> of them and about <c>maxBytes</c> together (the
/// newest is kept whatever its size); the oldest go first.
/// </summary>
internal sealed class SnapshotBytes(int capacity = 16, long maxBytes = 128L << 20)
{
    /// <summary>The shapes a snapshot is served in.</summary>
    public enum Form
    {
        /// <summary>Compact report JSON with the dense <c>confusion_matrix</c>.</summary>
        Report,

        /// <summary>Compact report JSON with the sparse <c>confusion_cells</c> (events, <c>?matrix=sparse</c>).</summary>
        Sparse,

        /// <summary>Indented report JSON with the dense matrix (the final <c>report.json</c>).</summary>
        Indented,
    }

    private readonly object _lock = new();
    private readonly Dictionary<Key, Entry> _entries = [];
    private readonly LinkedList<Key> _order = new();
    private long _bytes;
    private int _serializations;

    /// <summary>How many serializations this cache has made (for tests and diagnostics).</summary>
    public int Serializations => Volatile.Read(ref _serializations);

    /// <summary>The bytes held now (serializations finished and not yet evicted).</summary>
    public long Bytes
    {
        get
        {
            lock (_lock) return _bytes;
        }
    }

    /// <summary>The snapshot's report JSON (dense matrix, as <c>/snapshot</c>).</summary>
    public byte[] Report(RunSnapshot s) => Get(s, Form.Report);

    /// <summary>The snapshot's event payload: the report JSON with <c>confusion_cells</c> instead of <c>confusion_matrix</c>.</summary>
    public byte[] Event(RunSnapshot s) => Get(s, Form.Sparse);

    public byte[] Get(RunSnapshot s, Form form)
    {
        // The number orders a run's snapshots; the rest guards against a count that restarted.
        var key = new Key(s.RunId, s.Number, s.Final, s.Pixels.Total, s.Status.ToString(), form);
        Entry entry;
        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out entry!))
            {
                entry = new Entry(new Lazy<byte[]>(() =>
                {
                    Interlocked.Increment(ref _serializations);
                    return ReportFormats.JsonBytes(s, indented: form == Form.Indented, sparseMatrix: form == Form.Sparse);
                }, LazyThreadSafetyMode.ExecutionAndPublication));
                _entries[key] = entry;
                _order.AddLast(key);
                Evict();
            }
        }
        var bytes = entry.Value.Value;
        lock (_lock)
        {
            if (entry.Size == 0 && _entries.TryGetValue(key, out var held) && held == entry)
            {
                entry.Size = bytes.LongLength;
                _bytes += entry.Size;
                Evict();
            }
        }
        return bytes;
    }

    /// <summary>Drops the oldest entries beyond the count or byte budget, never the newest.</summary>
    private void Evict()
    {
        while (_order.Count > 1 && (_order.Count > capacity || _bytes > maxBytes))
        {
            var oldest = _order.First!.Value;
            _order.RemoveFirst();
            if (_entries.Remove(oldest, out var gone)) _bytes -= gone.Size;
        }
    }

    private sealed class Entry(Lazy<byte[]> value)
    {
        public Lazy<byte[]> Value { get; } = value;

        /// <summary>0 until the bytes are made and counted.</summary>
        public long Size { get; set; }
    }

    private sealed record Key(string Run, long Number, bool Final, long Pixels, string Status, Form Form);
}
