using Evaluator.Node.Cli;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Cityscapes;

/// <summary>
/// evaluate --protocol cityscapes against an independent recount that follows cityscapesScripts'
/// evalPixelLevelSemanticLabeling.py line by line (Fixtures/cityscapes/cityscapes_recount.py, numpy + PIL):
/// a generated Cityscapes-shaped tree (2 cities, 6 frames, 64×128, every labelId, instances of every
/// instance class including ignoreInEval caravan/trailer, group regions, instances spanning the image),
/// every value of --cityscapes-json within 1e-9 and the matrix exact, and the report's fields equal to them.
/// </summary>
// Category=Services: needs /usr/bin/python3 with numpy and PIL.
[Trait("Category", "Services")]
public class CityscapesScriptRecountTests
{
    private static string Script => Path.Combine(RepoFiles.RepoRoot(), "Evaluator.Tests", "Fixtures", "cityscapes", "cityscapes_recount.py");

    private static async Task Python(string dir, params string[] args)
    {
        var (code, stdout, stderr, timedOut) = await PythonScripts.RunAsync([Script, .. args], dir, TimeSpan.FromMinutes(2));
        Assert.False(timedOut, "python timed out");
        Assert.True(code == 0, $"python {string.Join(' ', args)} exited {code}:\n{stdout}\n{stderr}");
    }

    [Fact]
    public async Task Every_value_matches_the_script_recount_and_partitionings_agree_bit_for_bit()
    {
        var dir = TestEnvironment.TempDir("cityscapes-script");
        await Python(dir, "generate", dir);
        var gt = Path.Combine(dir, "gtFine");
        var pred = Path.Combine(dir, "pred");
        await Python(dir, "recount", gt, pred, Path.Combine(dir, "expected.json"));

        string Run(string id, string partitions, string batchPixels)
        {
            var json = Path.Combine(dir, id + ".json");
            var report = Path.Combine(dir, id + "-report.json");
            Assert.Equal(EvaluatorCli.ExitOk, EvaluatorCli.Run([
                "evaluate", "--protocol", "cityscapes", "--gt", gt, "--pred", pred, "--cityscapes-json", json, "--report", report,
                "--data-dir", Path.Combine(dir, "data"), "--run-id", id, "--partitions", partitions, "--batch-pixels", batchPixels,
            ]));
            return json;
        }

        var sliced = Run("sliced", "3", "3000");
        await Python(dir, "compare", Path.Combine(dir, "expected.json"), sliced, Path.Combine(dir, "sliced-report.json"));
        var whole = Run("whole", "1", "1000000");
        Assert.Equal(File.ReadAllText(sliced), File.ReadAllText(whole));
    }
}
