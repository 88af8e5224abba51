using Akka.Actor;

namespace Evaluator.Node.Runtime;

/// <summary>
/// How long the journal took to write the events a coordinator persisted (from Persist to its
/// callback), for the metrics: an ActorSystem extension (one per system, no static state) that
/// the HTTP front end subscribes to. Recording with no subscriber costs a null check.
/// </summary>
internal sealed class JournalLatency : IExtension
{
    private volatile Action<TimeSpan>? _observers;

    public static JournalLatency Get(ActorSystem system) => system.WithExtension<JournalLatency, JournalLatencyProvider>();

    public void Record(TimeSpan elapsed) => _observers?.Invoke(elapsed);

    /// <summary>Calls <paramref name="observer"/> with every write's latency until the returned handle is disposed.</summary>
    public IDisposable Subscribe(Action<TimeSpan> observer)
    {
        lock (this) _observers += observer;
        return new Unsubscriber(() =>
        {
            lock (this) _observers -= observer;
        });
    }

    private sealed class Unsubscriber(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }
}

internal sealed class JournalLatencyProvider : ExtensionIdProvider<JournalLatency>
{
    public override JournalLatency CreateExtension(ExtendedActorSystem system) => new();
}
