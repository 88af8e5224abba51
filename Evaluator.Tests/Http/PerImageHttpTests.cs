using PerImageLine = Evaluator.Tests.Support.PerImageLine;
using System.Net;
using System.Text;
using System.Text.Json;
using Evaluator.Messages;
using Evaluator.Node.Runs;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Http;

/// <summary>GET /runs/{id}/images.jsonl and /worst-images on real Kestrel, against an independent recount.</summary>
public sealed class PerImageHttpTests(HttpNode fixture) : IClassFixture<HttpNode>
{
    private readonly HttpClient _http = fixture.Client;

    [Fact]
    public async Task A_per_image_run_streams_its_rows_and_worst_images_others_get_a_problem()
    {
        var dir = TestEnvironment.TempDir("per-image-http");
        var ds = new Dataset(dir, Dataset.Format.NpyU8, pairs: 6, width: 20, height: 10, classes: 4, seed: 8);
        var runId = "pi-" + Guid.NewGuid().ToString("N")[..8];
        var plan = RunLauncher.Plan(new RunRequest
        {
            RunId = runId, GroundTruth = ds.GroundTruthDir, Prediction = ds.PredictionDir, Classes = 4, Ignore = [255],
            Partitions = 2, PerImage = true,
        });
        var final = await RunLauncher.RunAsync(fixture.Node, RunLauncher.Partition(fixture.Node, plan), (_, _) => { });

        var r = await _http.GetAsync($"/runs/{runId}/images.jsonl");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("application/x-ndjson", r.Content.Headers.ContentType?.MediaType);
        var lines = (await r.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(PerImageLine.Parse).ToList();
        var spec = new RunSpec(4, ignoreLabels: [255]);
        var order = ds.SortedIndices;
        Assert.Equal(order.Select(i => Path.GetRelativePath(ds.GroundTruthDir, ds.GroundTruthPath(i))), lines.Select(l => l.Image));
        foreach (var (line, i) in lines.Zip(order))
            Assert.Equal(PerImageLine.CellsOf(ds.Recount(spec, [i]).Matrix), line.Cells);
        Assert.Equal(final.Matrix, PerImageLine.Sum(lines, 4));

        using var worst = JsonDocument.Parse(await _http.GetStringAsync($"/runs/{runId}/worst-images?k=2"));
        var expected = lines.Select((l, k) => (l, k)).OrderBy(x => x.l.MeanIou).ThenBy(x => x.k).Take(2).Select(x => x.l.Image);
        Assert.Equal(expected, worst.RootElement.GetProperty("worst_images").EnumerateArray().Select(w => w.GetProperty("image").GetString()));

        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync("/runs/no-such-run/images.jsonl")).StatusCode);
        var ingest = "pi-ingest-" + Guid.NewGuid().ToString("N")[..6];
        var created = await _http.PostAsync("/runs",
            new StringContent($$"""{"run_id":"{{ingest}}","num_classes":3}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var conflict = await _http.GetAsync($"/runs/{ingest}/images.jsonl");
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Contains("without per-image results", await conflict.Content.ReadAsStringAsync());
    }
}
