using Akka.Actor;

namespace Evaluator.Node.Streams;

/// <summary>
/// The bytes that decoding may hold at once on a node (<c>evaluator.decode-memory-budget</c>),
/// shared by all its partition streams: a pair reserves its decoded size (from the file
/// headers) before it is decoded, waits (asynchronously, first come first served) while the
/// budget is used, and gives it back once its last slice has left the decode stage (or its
/// stream stopped). A pair larger than the whole budget is refused by the caller. An Akka
/// extension: one per ActorSystem (<see cref="Get"/>). Thread-safe.
/// </summary>
internal sealed class DecodeBudget(long capacity) : IExtension
{
    public const long DefaultBytes = 2L << 30;

    private readonly object _lock = new();
    private readonly LinkedList<Waiter> _waiters = [];
    private long _available = capacity;

    public long Capacity { get; } = capacity;

    /// <summary>Bytes reserved now (for tests and diagnostics).</summary>
    public long InUse
    {
        get { lock (_lock) return Capacity - _available; }
    }

    public static DecodeBudget Get(ActorSystem system) => system.WithExtension<DecodeBudget, DecodeBudgetProvider>();

    /// <summary>A stream's reservations: disposing it gives back what the stream still holds and drops its waits.</summary>
    public Session Open() => new(this);

    private sealed record Waiter(long Bytes, Session Session, TaskCompletionSource<IDisposable> Granted);

    private Lease? TryTake(long bytes, Session session)
    {
        if (_waiters.Count > 0 || _available < bytes) return null;
        _available -= bytes;
        return session.Track(bytes);
    }

    private void Give(long bytes)
    {
        List<(Waiter, Lease)> granted = [];
        lock (_lock)
        {
            _available += bytes;
            while (_waiters.First is { } head && head.Value.Bytes <= _available)
            {
                _waiters.RemoveFirst();
                _available -= head.Value.Bytes;
                granted.Add((head.Value, head.Value.Session.Track(head.Value.Bytes)));
            }
        }
        foreach (var (w, lease) in granted)
        {
            if (!w.Granted.TrySetResult(lease)) lease.Dispose();
        }
    }

    internal sealed class Session(DecodeBudget budget) : IDisposable
    {
        private readonly HashSet<Lease> _leases = [];
        private bool _closed;

        public long Capacity => budget.Capacity;

        /// <summary>Reserves <paramref name="bytes"/> (at most the capacity), waiting while the budget is used.</summary>
        public Task<IDisposable> ReserveAsync(long bytes)
        {
            if (bytes > budget.Capacity) throw new ArgumentOutOfRangeException(nameof(bytes), "more than the whole budget");
            if (bytes <= 0) return Task.FromResult<IDisposable>(NoLease.Instance);
            lock (budget._lock)
            {
                if (_closed) return Task.FromCanceled<IDisposable>(new CancellationToken(true));
                if (budget.TryTake(bytes, this) is { } now) return Task.FromResult<IDisposable>(now);
                var w = new Waiter(bytes, this, new TaskCompletionSource<IDisposable>(TaskCreationOptions.RunContinuationsAsynchronously));
                budget._waiters.AddLast(w);
                return w.Granted.Task;
            }
        }

        // Under the budget's lock.
        internal Lease Track(long bytes)
        {
            var lease = new Lease(this, bytes);
            if (!_closed) _leases.Add(lease);
            else lease.Orphan();
            return lease;
        }

        internal void Release(Lease lease)
        {
            lock (budget._lock)
            {
                if (!_leases.Remove(lease) && !lease.Orphaned) return;
            }
            budget.Give(lease.Bytes);
        }

        public void Dispose()
        {
            List<Waiter> dropped = [];
            long held = 0;
            lock (budget._lock)
            {
                if (_closed) return;
                _closed = true;
                for (var n = budget._waiters.First; n is not null;)
                {
                    var next = n.Next;
                    if (n.Value.Session == this)
                    {
                        budget._waiters.Remove(n);
                        dropped.Add(n.Value);
                    }
                    n = next;
                }
                foreach (var l in _leases)
                {
                    l.MarkReleased();
                    held += l.Bytes;
                }
                _leases.Clear();
            }
            foreach (var w in dropped) w.Granted.TrySetCanceled();
            // The waiters behind those dropped may fit now.
            budget.Give(held);
        }
    }

    internal sealed class Lease(Session session, long bytes) : IDisposable
    {
        private int _released;

        public long Bytes { get; } = bytes;

        /// <summary>Granted to a session already closed: gives back its bytes on release (it is not tracked).</summary>
        internal bool Orphaned { get; private set; }

        internal void Orphan() => Orphaned = true;

        internal void MarkReleased() => Interlocked.Exchange(ref _released, 1);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) session.Release(this);
        }
    }

    private sealed class NoLease : IDisposable
    {
        public static readonly NoLease Instance = new();

        public void Dispose()
        {
        }
    }
}

/// <summary>Creates the <see cref="DecodeBudget"/> of an ActorSystem from <c>evaluator.decode-memory-budget</c>.</summary>
internal sealed class DecodeBudgetProvider : ExtensionIdProvider<DecodeBudget>
{
    public override DecodeBudget CreateExtension(ExtendedActorSystem system) =>
        new(system.Settings.Config.GetByteSize("evaluator.decode-memory-budget", null) is > 0 and var b ? b : DecodeBudget.DefaultBytes);
}
