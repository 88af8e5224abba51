using System.Diagnostics;
using System.Runtime.CompilerServices;
using Akka.Actor;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Actors;
using Evaluator.Node.Runtime;

namespace Evaluator.Node.Runs;

/// <summary>
/// A run's snapshots as they come: the current one first, then each newer one (the latest only,
/// if the reader is slow), ending after the final one. Subscribes to the run's pub-sub topic and
/// also polls the coordinator, so a lost pub-sub message never hangs a reader.
/// </summary>
internal static class SnapshotFeed
{
    private static readonly TimeSpan PollEvery = TimeSpan.FromSeconds(2);

    /// <summary>The run's current snapshot, or null when the run is unknown (or its id invalid).</summary>
    public static async Task<RunSnapshot?> GetAsync(EvaluatorNode node, string runId, CancellationToken cancel = default)
    {
        if (!RunIds.IsValid(runId)) return null;
        return await node.Coordinators.Ask<IRunMessage>(new GetSnapshot(runId), node.Settings.AskTimeout, cancel) as RunSnapshot;
    }

    /// <summary>The snapshots of a run from its current one; nothing when the run is unknown.</summary>
    public static IAsyncEnumerable<RunSnapshot> FollowAsync(EvaluatorNode node, string runId,
        CancellationToken cancel = default) =>
        FollowAsync(node, runId, c => GetAsync(node, runId, c), null, cancel);

    /// <param name="current">
    /// Called once subscribed: the first snapshot (e.g. the reply to starting the run), or null
    /// for an unknown run.
    /// </param>
    /// <param name="idle">Called when a poll found nothing newer (e.g. to keep a connection alive).</param>
    public static async IAsyncEnumerable<RunSnapshot> FollowAsync(EvaluatorNode node, string runId,
        Func<CancellationToken, Task<RunSnapshot?>> current, Func<CancellationToken, Task>? idle,
        [EnumeratorCancellation] CancellationToken cancel = default)
    {
        var channel = SnapshotSubscriberActor.LatestOnly();
        var subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var subscriber = node.System.ActorOf(SnapshotSubscriberActor.Props(node.Mediator, runId, channel.Writer, subscribed));
        try
        {
            await subscribed.Task.WaitAsync(node.Settings.AskTimeout, cancel);
            if (await current(cancel) is not { } first) yield break;
            yield return first;
            var newest = first.Number;
            var final = first.Final;
            var poll = PollEvery < node.Settings.AskTimeout ? PollEvery : node.Settings.AskTimeout;
            // A poll sent while the coordinator moves (its node was lost) is never answered: that is
            // no error, and it must not keep us from reading pub-sub. Only silence (no snapshot and
            // no reply) for longer than ask-timeout is.
            var heard = Stopwatch.StartNew();
            while (!final)
            {
                var (next, polled) = await NextAsync(node, runId, channel.Reader, poll, heard, cancel);
                if (next is null || (next.Number <= newest && !next.Final))
                {
                    if (polled && idle is not null) await idle(cancel);
                    continue;
                }
                newest = next.Number;
                final = next.Final;
                yield return next;
            }
        }
        finally
        {
            node.System.Stop(subscriber);
        }
    }

    /// <summary>The next pub-sub snapshot, or after <paramref name="poll"/> without one, the coordinator's.</summary>
    private static async Task<(RunSnapshot? Snapshot, bool Polled)> NextAsync(EvaluatorNode node, string runId,
        System.Threading.Channels.ChannelReader<RunSnapshot> reader, TimeSpan poll, Stopwatch heard, CancellationToken cancel)
    {
        using (var wait = CancellationTokenSource.CreateLinkedTokenSource(cancel))
        {
            wait.CancelAfter(poll);
            try
            {
                var s = await reader.ReadAsync(wait.Token);
                heard.Restart();
                return (s, false);
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
                // Pub-sub is at-most-once: poll, so that a lost final snapshot cannot hang the reader.
            }
        }
        try
        {
            var s = await node.Coordinators.Ask<IRunMessage>(new GetSnapshot(runId), poll, cancel) as RunSnapshot;
            heard.Restart();
            return (s, true);
        }
        catch (AskTimeoutException) when (heard.Elapsed < node.Settings.AskTimeout)
        {
            return (null, false);
        }
    }
}
