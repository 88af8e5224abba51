using System.Net;
using System.Text;
using System.Text.Json;
using Evaluator.Node.Cli;
using Evaluator.Node.Runs;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Http;

/// <summary>
/// GET /runs/{id}/bootstrap on real Kestrel: a final per-image run's intervals are exactly the
/// <c>bootstrap</c> object the CLI writes (the <c>bootstrap</c> command over the same run's
/// images.jsonl); an unknown run is a 404, a running run or one without per-image results a 409,
/// a bad query or too many resamples a 400, each as problem+json.
/// </summary>
public sealed class BootstrapHttpTests(HttpNode fixture) : IClassFixture<HttpNode>
{
    private readonly HttpClient _http = fixture.Client;

    [Fact]
    public async Task A_final_per_image_run_answers_the_cli_reports_bootstrap_object()
    {
        var dir = TestEnvironment.TempDir("bootstrap-http");
        var ds = new Dataset(dir, Dataset.Format.NpyU8, pairs: 9, width: 20, height: 12, classes: 4, seed: 31);
        var runId = "bs-" + Guid.NewGuid().ToString("N")[..8];
        var plan = RunLauncher.Plan(new RunRequest
        {
            RunId = runId, GroundTruth = ds.GroundTruthDir, Prediction = ds.PredictionDir, Classes = 4, Ignore = [255],
            Partitions = 2, PerImage = true,
        });
        await RunLauncher.RunAsync(fixture.Node, RunLauncher.Partition(fixture.Node, plan), (_, _) => { });
        // A finished run without per-image results, started before any request (the catalog caches the run ids it read).
        var plainRun = "bs-plain-" + Guid.NewGuid().ToString("N")[..6];
        var plainPlan = RunLauncher.Plan(new RunRequest
        {
            RunId = plainRun, GroundTruth = ds.GroundTruthDir, Prediction = ds.PredictionDir, Classes = 4, Ignore = [255],
        });
        await RunLauncher.RunAsync(fixture.Node, RunLauncher.Partition(fixture.Node, plainPlan), (_, _) => { });

        var r = await _http.GetAsync($"/runs/{runId}/bootstrap?resamples=300&seed=7&confidence=0.9");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("application/json", r.Content.Headers.ContentType?.MediaType);
        using var served = JsonDocument.Parse(await r.Content.ReadAsStringAsync());

        // The CLI over the run's own rows: bootstrap --per-image images.jsonl with the same parameters.
        var images = Path.Combine(dir, "images.jsonl");
        await File.WriteAllBytesAsync(images, await _http.GetByteArrayAsync($"/runs/{runId}/images.jsonl"));
        var report = Path.Combine(dir, "report.json");
        Assert.Equal(EvaluatorCli.ExitOk, EvaluatorCli.Run(["bootstrap", "--per-image", images, "--classes", "4",
            "--bootstrap", "300", "--seed", "7", "--confidence", "0.9", "--report", report]));
        using var cli = JsonDocument.Parse(File.ReadAllText(report));
        // The same object, field for field and number for number (the report is indented, the route compact).
        Assert.Equal(JsonSerializer.Serialize(cli.RootElement.GetProperty("bootstrap")), JsonSerializer.Serialize(served.RootElement));
        Assert.Equal(300, served.RootElement.GetProperty("resamples").GetInt32());
        Assert.Equal(7, served.RootElement.GetProperty("seed").GetInt64());
        Assert.Equal(4, served.RootElement.GetProperty("per_class_iou").GetArrayLength());

        // Defaults: 1000 resamples, seed 0, 95 %.
        using var defaults = JsonDocument.Parse(await _http.GetStringAsync($"/runs/{runId}/bootstrap"));
        Assert.Equal(1000, defaults.RootElement.GetProperty("resamples").GetInt32());
        Assert.Equal(0, defaults.RootElement.GetProperty("seed").GetInt64());
        Assert.Equal(0.95, defaults.RootElement.GetProperty("confidence").GetDouble());

        // Bad parameters: 400, naming what is wrong; the bound is evaluator.http.max-bootstrap-resamples.
        foreach (var (query, says) in new[]
                 {
                     ("resamples=0", "between 1 and 10000"), ("resamples=10001", "max-bootstrap-resamples"), ("resamples=many", "'many'"),
                     ("confidence=1.5", "strictly between 0 and 1"), ("seed=x", "seed 'x'"),
                 })
        {
            var bad = await _http.GetAsync($"/runs/{runId}/bootstrap?{query}");
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
            Assert.Contains(says, await bad.Content.ReadAsStringAsync());
        }

        await Unknown_running_and_plain_runs_get_a_problem(plainRun);
    }

    // Part of the one test, the unknown run asked last: the node's run catalog caches the ids it
    // read for a while (RunCatalog.ExistsAsync), so a run started after a miss would look unknown.
    private async Task Unknown_running_and_plain_runs_get_a_problem(string plain)
    {
        // An ingest run is running until completed: not final yet.
        var ingest = "bs-ingest-" + Guid.NewGuid().ToString("N")[..6];
        var created = await _http.PostAsync("/runs",
            new StringContent($$"""{"run_id":"{{ingest}}","num_classes":3}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var running = await _http.GetAsync($"/runs/{ingest}/bootstrap");
        Assert.Equal(HttpStatusCode.Conflict, running.StatusCode);
        Assert.Contains("is running", await running.Content.ReadAsStringAsync());

        // A finished run made without per-image results.
        var none = await _http.GetAsync($"/runs/{plain}/bootstrap");
        Assert.Equal(HttpStatusCode.Conflict, none.StatusCode);
        Assert.Equal("application/problem+json", none.Content.Headers.ContentType?.MediaType);
        Assert.Contains("without per-image results", await none.Content.ReadAsStringAsync());

        var unknown = await _http.GetAsync("/runs/no-such-run/bootstrap");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
    }
}
