using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Runs;
using Evaluator.Node.Runtime;

namespace Evaluator.Tests.Support;

/// <summary>
/// The in-process cluster tests' crash of a worker mid-run: the client starts and follows the run
/// and, once some but not all batches are committed, terminates the victim's ActorSystem (no
/// graceful leave); the run must still finish on the surviving nodes.
/// </summary>
internal static class WorkerCrash
{
    /// <summary>Runs <paramref name="start"/> from <paramref name="client"/>, crashing <paramref name="victim"/> mid-run; returns the final snapshot.</summary>
    public static async Task<RunSnapshot> RunCrashingMidRun(EvaluatorNode client, StartRun start, EvaluatorNode victim)
    {
        var killed = false;
        var final = await RunLauncher.RunAsync(client, start, (s, _) =>
        {
            if (killed || s.Partitions.Sum(p => p.Watermark) == 0 || s.Final) return;
            killed = true;
            victim.System.Terminate();
        }).WaitAsync(TimeSpan.FromSeconds(90));
        Assert.True(killed, "the run ended before the worker could be crashed mid-run");
        return final;
    }
}
