using System.Net;
using System.Text;
using System.Text.Json;
using Evaluator.Messages;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Http;

/// <summary>
/// A node whose POST /runs may read files under one data root (two datasets: one inside, one
/// outside), counting slowly enough (throttled) that a run over files can be cancelled mid-way.
/// </summary>
public sealed class DataRootsHttpNode : IAsyncLifetime
{
    public DataRootsHttpNode()
    {
        var dir = TestEnvironment.TempDir("roots");
        Root = Path.Combine(dir, "data");
        Inside = new Dataset(Path.Combine(Root, "small"), Dataset.Format.NpyU8, 4, 16, 12, 5, seed: 7);
        Large = new Dataset(Path.Combine(Root, "large"), Dataset.Format.NpyU8, 60, 16, 12, 5, seed: 8);
        Outside = new Dataset(Path.Combine(dir, "elsewhere"), Dataset.Format.NpyU8, 2, 16, 12, 5, seed: 9);
        // A link inside the root that leads out of it.
        Directory.CreateSymbolicLink(Path.Combine(Root, "escape"), Outside.Root);
        Inner = new HttpNode(null, 1 << 20, o => o
            .Set("evaluator.http.data-roots", [Root])
            .Set("evaluator.throttle-pairs-per-second", 8)
            .Set("evaluator.partitions", 1));
    }

    public string Root { get; }
    public Dataset Inside { get; }
    public Dataset Large { get; }
    public Dataset Outside { get; }
    public HttpNode Inner { get; }

    public Task InitializeAsync() => Inner.InitializeAsync();

    public Task DisposeAsync() => Inner.DisposeAsync();
}

/// <summary>A node whose sweep runs every 200 ms: ingest runs idle for 1 s are abandoned, finished runs go after 3 s.</summary>
public sealed class SweepingHttpNode() : IAsyncLifetime
{
    public HttpNode Inner { get; } = new(null, 1 << 20, o => o
        .Set("evaluator.ingest-idle-timeout", "1s")
        .Set("evaluator.retention", "3s")
        .Set("evaluator.sweep-interval", "200ms"));

    public Task InitializeAsync() => Inner.InitializeAsync();

    public Task DisposeAsync() => Inner.DisposeAsync();
}

internal static class LifecycleHttp
{
    public static StringContent Json(string s) => new(s, Encoding.UTF8, "application/json");

    public static async Task<JsonElement> Body(HttpResponseMessage r) =>
        JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone();

    public static async Task<string> CreateIngestRun(HttpClient http)
    {
        var id = "l-" + Guid.NewGuid().ToString("N")[..10];
        var r = await http.PostAsync("/runs", Json($$"""{"run_id":"{{id}}","num_classes":3}"""));
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        return id;
    }

    public static Task<HttpResponseMessage> Push(HttpClient http, string run, long seq) =>
        http.PostAsync($"/runs/{run}/partitions/0/batches/{seq}?shape=2&dtype=uint8",
            HttpApiTests.Bin([0, 1, 0, 2]));

    public static async Task<string?> Status(HttpClient http, string run)
    {
        var r = await http.GetAsync($"/runs/{run}");
        return r.StatusCode == HttpStatusCode.NotFound ? null : (await Body(r)).GetProperty("status").GetString();
    }
}

/// <summary>Cancel and delete over HTTP on real Kestrel, and the refusals around them.</summary>
public sealed class RunLifecycleHttpTests(HttpNode fixture) : IClassFixture<HttpNode>
{
    private readonly HttpClient _http = fixture.Client;

    [Fact]
    public async Task Cancel_then_delete_an_ingest_run_and_it_is_gone_from_lists_and_metrics()
    {
        var id = await LifecycleHttp.CreateIngestRun(_http);
        Assert.Equal(HttpStatusCode.OK, (await LifecycleHttp.Push(_http, id, 0)).StatusCode);

        // Refused while it runs.
        var refused = await _http.DeleteAsync($"/runs/{id}");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("cancel it first", (await LifecycleHttp.Body(refused)).GetProperty("detail").GetString());

        var cancelled = await _http.PostAsync($"/runs/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        var body = await LifecycleHttp.Body(cancelled);
        Assert.Equal("cancelled", body.GetProperty("status").GetString());
        Assert.Equal(2, body.GetProperty("pixels").GetInt64()); // what was committed stays
        // Idempotent; and the run is closed to batches.
        Assert.Equal(HttpStatusCode.OK, (await _http.PostAsync($"/runs/{id}/cancel", null)).StatusCode);
        var late = await LifecycleHttp.Push(_http, id, 1);
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        var closed = await LifecycleHttp.Body(late);
        Assert.Equal("run closed", closed.GetProperty("title").GetString());
        Assert.Contains($"run '{id}' is cancelled", closed.GetProperty("detail").GetString());
        Assert.Equal("cancelled", await LifecycleHttp.Status(_http, id));
        Assert.Equal(HttpStatusCode.Conflict, (await _http.PostAsync($"/runs/{id}/complete", null)).StatusCode);
        var listed = await LifecycleHttp.Body(await _http.GetAsync("/runs"));
        Assert.Equal("cancelled", listed.EnumerateArray().Single(r => r.GetProperty("run_id").GetString() == id).GetProperty("status").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await _http.DeleteAsync($"/runs/{id}")).StatusCode);
        Assert.Null(await LifecycleHttp.Status(_http, id));
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"/runs/{id}/report.json")).StatusCode);
        Assert.DoesNotContain(id, await _http.GetStringAsync("/runs"));
        Assert.DoesNotContain(id, await _http.GetStringAsync("/metrics"));
        Assert.Equal(HttpStatusCode.NotFound, (await _http.DeleteAsync($"/runs/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.PostAsync($"/runs/{id}/cancel", null)).StatusCode);
    }

    [Fact]
    public async Task Cancelling_a_finished_run_is_refused_and_an_unknown_one_is_404()
    {
        var id = await LifecycleHttp.CreateIngestRun(_http);
        Assert.Equal(HttpStatusCode.OK, (await LifecycleHttp.Push(_http, id, 0)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await _http.PostAsync($"/runs/{id}/complete", null)).StatusCode);
        await Poll.UntilAsync(() => LifecycleHttp.Status(_http, id), s => s == "completed", TimeSpan.FromSeconds(20), "completed");

        var refused = await _http.PostAsync($"/runs/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("is completed", (await LifecycleHttp.Body(refused)).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await _http.PostAsync("/runs/no-such-run/cancel", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.DeleteAsync("/runs/no-such-run")).StatusCode);
        // A finished run is deleted without a cancel.
        Assert.Equal(HttpStatusCode.NoContent, (await _http.DeleteAsync($"/runs/{id}")).StatusCode);
    }

    [Fact]
    public async Task A_file_run_is_refused_when_the_server_has_no_data_roots()
    {
        var r = await _http.PostAsync("/runs", LifecycleHttp.Json("""{"num_classes":3,"gt":"/tmp","pred":"/tmp"}"""));
        Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        Assert.Contains("evaluator.http.data-roots", (await LifecycleHttp.Body(r)).GetProperty("detail").GetString());
    }
}

/// <summary>POST /runs with files: evaluated by the cluster as submit does, confined to the data roots, cancellable.</summary>
public sealed class FileRunHttpTests(DataRootsHttpNode fixture) : IClassFixture<DataRootsHttpNode>
{
    private readonly HttpClient _http = fixture.Inner.Client;

    private Task<HttpResponseMessage> PostFiles(string gt, string pred, string extra = "") =>
        _http.PostAsync("/runs", LifecycleHttp.Json(
            $$"""{"num_classes":5,"ignore_labels":[255],"gt":{{JsonSerializer.Serialize(gt)}},"pred":{{JsonSerializer.Serialize(pred)}}{{extra}}}"""));

    [Fact]
    public async Task A_file_run_is_accepted_with_its_location_and_counts_exactly_what_evaluate_would()
    {
        var data = fixture.Inside;
        var r = await PostFiles(data.GroundTruthDir, data.PredictionDir);
        Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        var body = await LifecycleHttp.Body(r);
        var id = body.GetProperty("run_id").GetString()!;
        Assert.Equal($"/runs/{id}", r.Headers.Location?.ToString());
        Assert.Equal(4, body.GetProperty("pairs").GetInt32());

        await Poll.UntilAsync(() => LifecycleHttp.Status(_http, id), s => s == "completed", TimeSpan.FromSeconds(30), "completed");
        var report = await LifecycleHttp.Body(await _http.GetAsync($"/runs/{id}/report.json"));
        var expected = data.Recount(new RunSpec(5, ignoreLabels: [255]));
        var matrix = ConfusionMatrix.FromRows(report.GetProperty("confusion_matrix").EnumerateArray()
            .Select(row => (IReadOnlyList<long>)row.EnumerateArray().Select(v => v.GetInt64()).ToList()).ToList());
        Assert.Equal(expected.Matrix, matrix);
    }

    [Fact]
    public async Task Paths_outside_the_data_roots_are_refused_naming_them_through_links_and_dot_dots()
    {
        var outside = fixture.Outside;
        foreach (var (gt, pred) in new[]
                 {
                     (outside.GroundTruthDir, outside.PredictionDir),
                     (Path.Combine(fixture.Root, "escape", "gt"), Path.Combine(fixture.Root, "escape", "pred")),
                     (Path.Combine(fixture.Root, "small", "..", "..", "elsewhere", "gt"), fixture.Inside.PredictionDir),
                     // The link's ".." is taken after the link (as the kernel does): escape/.. is the outside dataset's parent.
                     (Path.Combine(fixture.Root, "escape", "..", "elsewhere", "gt"), fixture.Inside.PredictionDir),
                 })
        {
            var r = await PostFiles(gt, pred);
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
            var problem = await LifecycleHttp.Body(r);
            Assert.Contains("outside the data roots", problem.GetProperty("detail").GetString());
            Assert.Contains(gt, problem.GetProperty("detail").GetString());
        }
    }

    [Fact]
    public async Task A_file_under_a_root_that_links_out_of_it_is_refused()
    {
        var dir = Path.Combine(fixture.Root, "linked-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(Path.Combine(dir, "gt"));
        Directory.CreateDirectory(Path.Combine(dir, "pred"));
        File.CreateSymbolicLink(Path.Combine(dir, "gt", "a.npy"), fixture.Outside.GroundTruthPath(0));
        File.Copy(fixture.Outside.PredictionPath(0), Path.Combine(dir, "pred", "a.npy"));
        var r = await PostFiles(Path.Combine(dir, "gt"), Path.Combine(dir, "pred"));
        Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        Assert.Contains(Path.Combine(dir, "gt", "a.npy"), (await LifecycleHttp.Body(r)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Bad_file_runs_are_400s_naming_the_problem()
    {
        var r = await PostFiles(Path.Combine(fixture.Root, "missing"), fixture.Inside.PredictionDir);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        r = await _http.PostAsync("/runs", LifecycleHttp.Json($$"""{"num_classes":5,"gt":{{JsonSerializer.Serialize(fixture.Inside.GroundTruthDir)}}}"""));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("\\\"pred\\\"", await r.Content.ReadAsStringAsync());
        // File options without files: an ingest run has none.
        r = await _http.PostAsync("/runs", LifecycleHttp.Json("""{"num_classes":5,"layout":"cityscapes"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
    }

    [Fact]
    public async Task A_running_file_run_is_cancelled_its_shards_stop_and_it_cannot_be_resumed()
    {
        var data = fixture.Large;
        var id = "f-" + Guid.NewGuid().ToString("N")[..8];
        var r = await PostFiles(data.GroundTruthDir, data.PredictionDir, $$""","run_id":"{{id}}" """);
        Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        // Throttled to 8 pairs a second: some counted, far from all.
        await Poll.UntilAsync(async () => (await LifecycleHttp.Body(await _http.GetAsync($"/runs/{id}"))).GetProperty("pixels").GetInt64(),
            px => px > 0, TimeSpan.FromSeconds(20), "first pixels");
        var cancelled = await LifecycleHttp.Body(await _http.PostAsync($"/runs/{id}/cancel", null));
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        var atCancel = cancelled.GetProperty("pixels").GetInt64();
        Assert.InRange(atCancel, 1, 60L * 16 * 12 - 1);

        // The run stays as it was at the cancel: the snapshot is final and its report readable.
        var state = await LifecycleHttp.Body(await _http.GetAsync($"/runs/{id}"));
        Assert.True(state.GetProperty("final").GetBoolean());
        Assert.Equal(atCancel, state.GetProperty("pixels").GetInt64());
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync($"/runs/{id}/report.json")).StatusCode);

        // The same run posted again is refused: a cancelled run is not resumed.
        var again = await PostFiles(data.GroundTruthDir, data.PredictionDir, $$""","run_id":"{{id}}" """);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("cannot be resumed", (await LifecycleHttp.Body(again)).GetProperty("detail").GetString());
        Assert.Equal(atCancel, (await LifecycleHttp.Body(await _http.GetAsync($"/runs/{id}"))).GetProperty("pixels").GetInt64());
    }
}

/// <summary>The sweep on a real node: idle ingest runs are abandoned, finished runs deleted past retention.</summary>
public sealed class RunSweepHttpTests(SweepingHttpNode fixture) : IClassFixture<SweepingHttpNode>
{
    private readonly HttpClient _http = fixture.Inner.Client;

    [Fact]
    public async Task An_idle_ingest_run_is_abandoned_refuses_batches_then_goes_with_retention()
    {
        var id = await LifecycleHttp.CreateIngestRun(_http);
        Assert.Equal(HttpStatusCode.OK, (await LifecycleHttp.Push(_http, id, 0)).StatusCode);
        await Poll.UntilAsync(() => LifecycleHttp.Status(_http, id), s => s == "abandoned", TimeSpan.FromSeconds(20), "abandoned");
        var late = await LifecycleHttp.Push(_http, id, 1);
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        var closed = await LifecycleHttp.Body(late);
        Assert.Equal("run closed", closed.GetProperty("title").GetString());
        Assert.Contains("no batch for", closed.GetProperty("detail").GetString());

        // Finished (abandoned) for longer than the retention: deleted by the sweep.
        await Poll.UntilAsync(() => LifecycleHttp.Status(_http, id), s => s is null, TimeSpan.FromSeconds(30), "deleted by retention");
        // Lists read the journal through the node's catalog, cached for a second.
        await Poll.UntilAsync(() => _http.GetStringAsync("/runs"), runs => !runs.Contains(id), TimeSpan.FromSeconds(10), "not listed");
    }
}
