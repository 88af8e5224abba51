using System.Net;
using System.Text.Json;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Runs;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Http;

/// <summary>
/// GET /compare on a real Kestrel over a node's journal (the default per-image source): two real
/// per-image runs compared, their point values against an independent recount of each dataset.
/// </summary>
public sealed class CompareJournalHttpTests(HttpNode fixture) : IClassFixture<HttpNode>
{
    private const int Classes = 4;
    private readonly HttpClient _http = fixture.Client;

    private async Task<RunSnapshot> Run(string runId, Dataset ds, bool perImage) =>
        await RunLauncher.RunAsync(fixture.Node, RunLauncher.Partition(fixture.Node, RunLauncher.Plan(new RunRequest
        {
            RunId = runId, GroundTruth = ds.GroundTruthDir, Prediction = ds.PredictionDir, Classes = Classes, Ignore = [255],
            Partitions = 2, PerImage = perImage,
        })), (_, _) => { });

    [Fact]
    public async Task Two_per_image_runs_compare_with_their_recounted_values_a_run_without_rows_is_a_conflict()
    {
        var dir = TestEnvironment.TempDir("compare-journal");
        // The same image names in both (a and b differ in labels): b is "another model" on them.
        var da = new Dataset(Path.Combine(dir, "a"), Dataset.Format.NpyU8, pairs: 7, width: 20, height: 12, classes: Classes, seed: 21);
        var db = new Dataset(Path.Combine(dir, "b"), Dataset.Format.NpyU8, pairs: 7, width: 20, height: 12, classes: Classes, seed: 22);
        var suffix = Guid.NewGuid().ToString("N")[..8];
        string a = "cmp-a-" + suffix, b = "cmp-b-" + suffix, plain = "cmp-plain-" + suffix;
        var finalA = await Run(a, da, perImage: true);
        var finalB = await Run(b, db, perImage: true);
        await Run(plain, da, perImage: false);

        var spec = new RunSpec(Classes, ignoreLabels: [255]);
        var recountA = da.Recount(spec);
        var recountB = db.Recount(spec);
        Assert.Equal(recountA.Matrix, finalA.Matrix);
        Assert.Equal(recountB.Matrix, finalB.Matrix);
        var reportA = MetricReport.Compute(spec, recountA.Matrix, recountA.Pixels);
        var reportB = MetricReport.Compute(spec, recountB.Matrix, recountB.Pixels);

        var r = await _http.GetAsync($"/compare?a={a}&b={b}&bootstrap=0");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        var root = doc.RootElement;
        Assert.Equal(7, root.GetProperty("images").GetInt32());
        Assert.Equal(Classes, root.GetProperty("num_classes").GetInt32());
        Assert.Equal(reportA.MeanIou!.Value, root.GetProperty("mean_iou_a").GetDouble());
        Assert.Equal(reportB.MeanIou!.Value, root.GetProperty("mean_iou_b").GetDouble());
        var perClass = root.GetProperty("per_class").EnumerateArray().ToList();
        for (var k = 0; k < Classes; k++)
        {
            Assert.Equal(reportA.PerClass[k].Iou!.Value, perClass[k].GetProperty("iou_a").GetDouble());
            Assert.Equal(reportB.PerClass[k].Iou!.Value, perClass[k].GetProperty("iou_b").GetDouble());
        }

        // With the bootstrap: the point delta lies in its interval.
        using var withCi = JsonDocument.Parse(await _http.GetStringAsync($"/compare?a={a}&b={b}&bootstrap=200&seed=7"));
        var delta = withCi.RootElement.GetProperty("delta").GetDouble();
        Assert.InRange(delta, withCi.RootElement.GetProperty("delta_low").GetDouble(), withCi.RootElement.GetProperty("delta_high").GetDouble());

        var conflict = await _http.GetAsync($"/compare?a={a}&b={plain}");
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Contains(plain, await conflict.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"/compare?a={a}&b=no-such-run")).StatusCode);
    }
}
