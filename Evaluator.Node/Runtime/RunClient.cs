using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Akka.Actor;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Messages.Serialization;
using Evaluator.Node.Actors;

namespace Evaluator.Node.Runtime;

/// <summary>Thrown when the coordinator refuses a run (e.g. a run id reused for another dataset).</summary>
public sealed class RunRejectedException(string reason) : EvaluatorException(reason);

/// <summary>
/// Starts (or resumes) a run on a node and follows its snapshots until the final one: the
/// code behind <c>evaluate</c> (and <c>submit</c> on a cluster).
/// </summary>
public static partial class RunClient
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    private static partial Regex RunIdPattern();

    public static void ValidateRunId(string runId)
    {
        if (!RunIdPattern().IsMatch(runId))
            throw new InvalidRunSpecException(
                $"run id '{runId}' must be 1-100 characters of letters, digits, '.', '_' or '-', starting with a letter or digit");
    }

    public static string NewRunId() => $"run-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Random.Shared.Next(0x10000):x4}";

    /// <summary>A hash of everything that decides the result: spec, partitions and their pairs.</summary>
    public static string Fingerprint(RunSpec spec, IEnumerable<PartitionAssignment> partitions)
    {
        var w = new WireWriter();
        w.Spec(spec);
        foreach (var p in partitions)
        {
            w.Var(p.Partition);
            w.List(p.Pairs, w.Pair);
            w.Optional(p.Raw, r =>
            {
                w.List(r.Shape, w.Var);
                w.Byte((byte)r.DType);
            });
        }
        return Convert.ToHexString(SHA256.HashData(w.ToArray()))[..32].ToLowerInvariant();
    }

    /// <summary>
    /// Subscribes to the run's topic, starts the run, and calls <paramref name="onSnapshot"/> with
    /// each newer snapshot (the latest only, if the caller is slow) until the final one, which
    /// it returns. Also polls the coordinator, so a lost pub-sub message never hangs it.
    /// </summary>
    public static async Task<RunSnapshot> RunAsync(EvaluatorNode node, StartRun start, Action<RunSnapshot, bool> onSnapshot,
        CancellationToken cancel = default)
    {
        var channel = SnapshotSubscriberActor.LatestOnly();
        var subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var subscriber = node.System.ActorOf(
            SnapshotSubscriberActor.Props(node.Mediator, start.RunId, channel.Writer, subscribed));
        try
        {
            await subscribed.Task.WaitAsync(node.Settings.AskTimeout, cancel);
            var reply = await node.Coordinators.Ask<IRunMessage>(start, node.Settings.AskTimeout, cancel);
            var first = reply switch
            {
                RunAccepted a => a,
                RunRejected r => throw new RunRejectedException(r.Reason),
                _ => throw new InvalidOperationException($"unexpected reply {reply.GetType().Name}"),
            };
            onSnapshot(first.Snapshot, first.Resumed);
            return first.Snapshot.Final ? first.Snapshot : await FollowAsync(node, start.RunId, channel.Reader, onSnapshot, cancel);
        }
        finally
        {
            node.System.Stop(subscriber);
        }
    }

    private static async Task<RunSnapshot> FollowAsync(EvaluatorNode node, string runId, ChannelReader<RunSnapshot> reader,
        Action<RunSnapshot, bool> onSnapshot, CancellationToken cancel)
    {
        var poll = TimeSpan.FromSeconds(2);
        if (poll > node.Settings.AskTimeout) poll = node.Settings.AskTimeout;
        // A poll sent while the coordinator moves (its node was lost) is never answered: that is
        // no error, and it must not keep us from reading pub-sub. Only silence (no snapshot and
        // no reply) for longer than ask-timeout is.
        var heard = Stopwatch.StartNew();
        long newest = -1;
        while (true)
        {
            RunSnapshot? s;
            using (var wait = CancellationTokenSource.CreateLinkedTokenSource(cancel))
            {
                wait.CancelAfter(poll);
                try
                {
                    s = await reader.ReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
                {
                    try
                    {
                        s = await node.Coordinators.Ask<IRunMessage>(new GetSnapshot(runId), poll, cancel) as RunSnapshot;
                    }
                    catch (AskTimeoutException) when (heard.Elapsed < node.Settings.AskTimeout)
                    {
                        continue;
                    }
                }
            }
            heard.Restart();
            if (s is null || (s.Number < newest && !s.Final)) continue;
            newest = s.Number;
            onSnapshot(s, false);
            if (s.Final) return s;
        }
    }
}
