using Evaluator.Node.Cli;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Processes;

/// <summary>
/// A Cityscapes-protocol run (<c>submit --protocol cityscapes --cityscapes-json</c>) on the real
/// cluster of <see cref="ClusterProcessTests"/>: a worker counting a partition is killed with
/// SIGKILL mid-run; its partitions resume on a survivor, and the script's JSON the client writes
/// is byte for byte the one a local <c>evaluate</c> writes on the same tree (the instance
/// statistics' exact accumulator makes any grouping of images give the same bits).
/// </summary>
public sealed partial class ClusterProcessTests
{
    /// <summary>
    /// A Cityscapes tree of <paramref name="frames"/> small frames (64×32): labelIds in horizontal
    /// bands over every labelId, a few rectangular instances of the instance classes (ids
    /// labelId × 1000 + k), and predictions with a tenth of the pixels wrong (any of the 34 ids).
    /// </summary>
    internal static (string Gt, string Pred) CityscapesTree(string root, int frames, int seed)
    {
        const int w = 64, h = 32;
        int[] things = [24, 25, 26, 27, 28, 31, 32, 33];
        var rng = new Random(seed);
        for (var f = 0; f < frames; f++)
        {
            var city = new[] { "aachen", "bochum", "zurich" }[f % 3];
            var name = $"{city}_{f:D6}_000019";
            var label = new long[w * h];
            for (var y = 0; y < h; y++)
            {
                var band = rng.Next(0, 24);
                for (var x = 0; x < w; x++) label[y * w + x] = band;
            }
            var inst = (long[])label.Clone();
            for (var k = 0; k < 4; k++)
            {
                var id = things[rng.Next(things.Length)];
                int x0 = rng.Next(w - 8), y0 = rng.Next(h - 6), rw = rng.Next(3, 9), rh = rng.Next(2, 7);
                for (var y = y0; y < y0 + rh; y++)
                {
                    for (var x = x0; x < x0 + rw; x++)
                    {
                        label[y * w + x] = id;
                        inst[y * w + x] = id * 1000 + k;
                    }
                }
            }
            var pred = label.Select(v => rng.Next(10) == 0 ? rng.Next(34) : v).ToArray();
            var gtDir = Directory.CreateDirectory(Path.Combine(root, "gtFine", "val", city)).FullName;
            var predDir = Directory.CreateDirectory(Path.Combine(root, "pred", city)).FullName;
            Dataset.Write(Path.Combine(gtDir, name + "_gtFine_labelIds"), Dataset.Format.PngGray8, w, h, label);
            Dataset.Write(Path.Combine(gtDir, name + "_gtFine_instanceIds"), Dataset.Format.PngGray16, w, h, inst);
            Dataset.Write(Path.Combine(predDir, name + "_leftImg8bit"), Dataset.Format.PngGray8, w, h, pred);
        }
        return (Path.Combine(root, "gtFine"), Path.Combine(root, "pred"));
    }

    [Fact]
    public void A_worker_killed_mid_cityscapes_run_writes_the_local_scripts_json_byte_for_byte()
    {
        var (gt, pred) = CityscapesTree(Path.Combine(_dir, "cityscapes"), Pairs, seed: 31);
        var local = Path.Combine(_dir, "local-cityscapes.json");
        Assert.Equal(EvaluatorCli.ExitOk, EvaluatorCli.Run([
            "evaluate", "--protocol", "cityscapes", "--gt", gt, "--pred", pred, "--cityscapes-json", local,
            "--data-dir", Path.Combine(_dir, "local-data"), "--quiet",
        ]));

        var runId = RunId("cs");
        var written = Path.Combine(_dir, "cluster-cityscapes.json");
        var report = Path.Combine(_dir, "report.json");
        var nodes = StartCluster(Journals.Sqlite, Throttle);
        string[] args =
        [
            "submit", "--protocol", "cityscapes", "--gt", gt, "--pred", pred, "--partitions", $"{Partitions}",
            "--run-id", runId, "--report", report, "--cityscapes-json", written,
        ];
        var submit = ChildProcess.StartEvaluator(args,
            SubmitEnvironment(string.Join(",", nodes.Select(n => n.Address)), Path.Combine(_dir, "client")));
        _children.Add(submit);

        KillAWorkerMidRunAndFinish(nodes, submit, runId);
        Assert.Equal(File.ReadAllBytes(local), File.ReadAllBytes(written));
        // The tree has instances of several classes: the iIoU scores are numbers, not all NaN.
        Assert.Contains("\"averageScoreInstClasses\": 0.", File.ReadAllText(written));
    }
}
