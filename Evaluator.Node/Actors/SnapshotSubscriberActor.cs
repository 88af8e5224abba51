using System.Threading.Channels;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Evaluator.Messages.Protocol;

namespace Evaluator.Node.Actors;

/// <summary>
/// Subscribes to a run's snapshot topic and hands snapshots to non-actor code through a
/// channel that holds only the latest one (conflated: a slow reader never builds a backlog).
/// </summary>
internal sealed class SnapshotSubscriberActor : ReceiveActor
{
    public SnapshotSubscriberActor(IActorRef mediator, string runId, ChannelWriter<RunSnapshot> latest,
        TaskCompletionSource subscribed)
    {
        var topic = CoordinatorActor.Topic(runId);
        long newest = -1;
        Receive<SubscribeAck>(_ => subscribed.TrySetResult());
        Receive<RunSnapshot>(s =>
        {
            // Pub-sub may reorder across nodes: keep only snapshots newer than the last one seen.
            if (s.Number <= newest && !s.Final) return;
            newest = Math.Max(newest, s.Number);
            latest.TryWrite(s);
        });
        mediator.Tell(new Subscribe(topic, Self));
    }

    public static Props Props(IActorRef mediator, string runId, ChannelWriter<RunSnapshot> latest, TaskCompletionSource subscribed) =>
        Akka.Actor.Props.Create(() => new SnapshotSubscriberActor(mediator, runId, latest, subscribed));

    /// <summary>A channel that keeps only the most recent item.</summary>
    public static Channel<RunSnapshot> LatestOnly() =>
        Channel.CreateBounded<RunSnapshot>(new BoundedChannelOptions(1)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
            SingleWriter = true,
        });
}
