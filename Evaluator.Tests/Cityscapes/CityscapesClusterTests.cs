using Evaluator.Messages.Cityscapes;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Cli;
using Evaluator.Node.Runs;
using Evaluator.Node.Runtime;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Cityscapes;

/// <summary>
/// --protocol cityscapes on an in-process cluster (two workers and a client over loopback TCP,
/// SQLite journal): its partitions' instance statistics travel as partials and are reduced by the
/// coordinator, and the script's JSON is the local run's bit for bit (samples/cityscapes-protocol).
/// </summary>
// Category=Slow: several ActorSystems forming a cluster, run serially; ./run-tests.sh --fast leaves it out.
[Trait("Category", "Slow")]
[Collection("cluster")]
public sealed class CityscapesClusterTests : IAsyncLifetime
{
    private readonly List<EvaluatorNode> _nodes = [];
    private readonly string _dir = TestEnvironment.TempDir("cityscapes-cluster");

    private static string Sample => Path.Combine(RepoFiles.RepoRoot(), "samples", "cityscapes-protocol");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var n in _nodes)
        {
            await n.System.Terminate().WaitAsync(TimeSpan.FromSeconds(20)).ContinueWith(_ => { });
        }
    }

    private async Task<EvaluatorNode> Node(string roles, Akka.Actor.Address? seed)
    {
        var overrides = ConfigOverrides.Cluster("127.0.0.1", 0, seed?.ToString(), roles, Path.Combine(_dir, "cluster-data"))
            .Add(Journals.Overrides(Journals.Sqlite));
        var node = await EvaluatorNode.StartAsync(NodeConfig.Load("cluster", overrides), TimeSpan.FromSeconds(30));
        _nodes.Add(node);
        return node;
    }

    [Fact]
    public async Task A_two_worker_run_gives_the_local_script_json_bit_for_bit()
    {
        var local = Path.Combine(_dir, "local.json");
        Assert.Equal(EvaluatorCli.ExitOk, EvaluatorCli.Run([
            "evaluate", "--protocol", "cityscapes", "--gt", Path.Combine(Sample, "gtFine"), "--pred", Path.Combine(Sample, "pred"),
            "--cityscapes-json", local, "--data-dir", Path.Combine(_dir, "local-data"), "--partitions", "1", "--quiet",
        ]));

        var a = await Node("worker", null);
        await Node("worker", a.Address);
        var client = await Node("client", a.Address);
        var plan = RunLauncher.Plan(new RunRequest
        {
            GroundTruth = Path.Combine(Sample, "gtFine"),
            Prediction = Path.Combine(Sample, "pred"),
            Protocol = "cityscapes",
            Partitions = 4,
            RunId = "cs-" + Guid.NewGuid().ToString("N")[..8],
        });
        var start = RunLauncher.Partition(client, plan);
        Assert.True(start.CityscapesProtocol);
        var final = await RunLauncher.RunAsync(client, start, (_, _) => { }).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(RunStatus.Completed, final.Status);
        var scores = final.ToReport().Cityscapes;
        Assert.NotNull(scores);
        Assert.Equal(File.ReadAllText(local), CityscapesJson.Write(scores));
    }
}
