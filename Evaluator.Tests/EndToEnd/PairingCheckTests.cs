using Evaluator.Node.Cli;
using Evaluator.Node.Inputs;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.EndToEnd;

/// <summary>
/// Pairing mistakes are found before a run starts (issue #14 item 2): a tree of another layout is a
/// usage error that names the layout to use, and --layout auto picks it.
/// </summary>
public class PairingCheckTests
{
    private static string Samples => Path.Combine(RepoFiles.RepoRoot(), "samples", "cityscapes");

    [Fact]
    public void A_cityscapes_tree_without_its_layout_exits_2_naming_the_layout_and_creates_no_run()
    {
        var dir = TestEnvironment.TempDir("pairing");
        var data = Path.Combine(dir, "data");
        using var p = ChildProcess.StartEvaluator(["evaluate", "--gt", Path.Combine(Samples, "gtFine"),
            "--pred", Path.Combine(Samples, "pred"), "--classes", "19", "--data-dir", data]);
        var exit = p.WaitForExit(TimeSpan.FromSeconds(120));
        Assert.True(exit == EvaluatorCli.ExitUsage, $"exit {exit}\n{p.Transcript}");
        var output = p.Stdout + p.Stderr;
        Assert.Contains("--layout cityscapes", output);
        Assert.Contains("_leftImg8bit.png", output);
        Assert.DoesNotContain("[WARNING]", output);
        Assert.DoesNotContain("resume", output);
        Assert.False(Directory.Exists(data), "a data directory was created");
    }

    [Fact]
    public void Layout_auto_gives_the_matrix_of_layout_cityscapes_and_says_what_it_chose()
    {
        var dir = TestEnvironment.TempDir("pairing");
        string[] Args(string layout, string name) =>
        [
            "evaluate", "--gt", Path.Combine(Samples, "gtFine"), "--pred", Path.Combine(Samples, "pred"), "--classes", "19",
            "--ignore", "255", "--layout", layout, "--report", Path.Combine(dir, name), "--data-dir", Path.Combine(dir, name + ".data"),
        ];
        using var p = ChildProcess.StartEvaluator(Args("auto", "auto.json"));
        var exit = p.WaitForExit(TimeSpan.FromSeconds(120));
        Assert.True(exit == EvaluatorCli.ExitOk, $"exit {exit}\n{p.Transcript}");
        Assert.Contains("layout auto: chose cityscapes", p.Stderr);
        Assert.DoesNotContain("[WARNING]", p.Stdout + p.Stderr);
        Assert.Equal(EvaluatorCli.ExitOk, EvaluatorCli.Run(Args("cityscapes", "cs.json")));
        var auto = ReportFile.Read(Path.Combine(dir, "auto.json"));
        var cs = ReportFile.Read(Path.Combine(dir, "cs.json"));
        Assert.Equal(cs.Matrix, auto.Matrix);
        Assert.Equal(8 * 256 * 512, auto.Pixels.Total);
    }

    [Fact]
    public void Evaluate_logs_only_akka_errors_and_serve_nodes_keep_warnings()
    {
        var data = TestEnvironment.TempDir("loglevel");
        var overrides = new Evaluator.Node.Runtime.ConfigOverrides().Set("evaluator.data-dir", data);
        var single = Evaluator.Node.Runtime.NodeConfig.Load("single-node", overrides, _ => null);
        var cluster = Evaluator.Node.Runtime.NodeConfig.Load("cluster", overrides, _ => null);
        Assert.Equal(("ERROR", "ERROR"), (single.GetString("akka.loglevel"), single.GetString("akka.stdout-loglevel")));
        Assert.Equal("WARNING", cluster.GetString("akka.loglevel"));
        var debug = Evaluator.Node.Runtime.NodeConfig.Load("single-node", overrides, v => v == "EVALUATOR_LOGLEVEL" ? "DEBUG" : null);
        Assert.Equal("DEBUG", debug.GetString("akka.loglevel"));
    }

    private static string Tree(params string[] files)
    {
        var root = TestEnvironment.TempDir("tree");
        foreach (var f in files)
        {
            var path = Path.Combine(root, f);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, []);
        }
        return root;
    }

    [Fact]
    public void Auto_detects_ade20k_voc_and_cityscapes_label_ids()
    {
        var ade = Tree("ADEChallengeData2016/annotations/validation/ADE_val_00000001.png",
            "ADEChallengeData2016/annotations/validation/ADE_val_00000002.png",
            "ADEChallengeData2016/images/validation/ADE_val_00000001.jpg", "pred/ADE_val_00000001.png", "pred/ADE_val_00000002.png");
        var a = PairingCheck.Auto(Path.Combine(ade, "ADEChallengeData2016"), Path.Combine(ade, "pred"));
        Assert.Equal(("--layout ade20k", 2), (a?.Options, a?.Pairs));
        var pairs = PairDiscovery.Discover(Path.Combine(ade, "ADEChallengeData2016"), Path.Combine(ade, "pred"), PairLayout.Ade20k);
        Assert.Equal(2, pairs.Length);
        Assert.All(pairs, p => Assert.Equal(Path.GetFileName(p.GroundTruth), Path.GetFileName(p.Prediction)));

        var voc = Tree("VOC2012/SegmentationClass/2007_000032.png", "VOC2012/SegmentationObject/2007_000032.png",
            "VOC2012/JPEGImages/2007_000032.jpg", "pred/2007_000032.png");
        var v = PairingCheck.Auto(Path.Combine(voc, "VOC2012"), Path.Combine(voc, "pred"));
        Assert.Equal(("--layout voc", 1, 1), (v?.Options, v?.Pairs, v?.GroundTruthFiles));

        var ids = Tree("gt/val/a/a_1_gtFine_labelIds.png", "gt/val/a/a_1_gtFine_color.png", "pred/val/a/a_1_leftImg8bit.png");
        var message = PairingCheck.Explain(Path.Combine(ids, "gt"), Path.Combine(ids, "pred"), "--layout plain", PairLayout.Plain);
        Assert.Contains("--layout cityscapes --gt-suffix _gtFine_labelIds.png pairs 1 of 1", message);
    }

    [Fact]
    public void Other_names_get_suffixes_suggested()
    {
        var t = Tree("gt/x_001_label.png", "gt/x_002_label.png", "pred/x_001_pred.png", "pred/x_002_pred.png");
        var message = PairingCheck.Explain(Path.Combine(t, "gt"), Path.Combine(t, "pred"), "--layout plain", PairLayout.Plain);
        Assert.Contains("only 0 of 2", message);
        Assert.Contains("--gt-suffix _label.png --pred-suffix _pred.png pairs 2 of 2", message);
        Assert.Contains("x_001_label.png", message);
        Assert.Contains("x_001_pred.png", message);
    }
}
