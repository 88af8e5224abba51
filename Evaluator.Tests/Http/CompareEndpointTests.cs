using System.Net;
using System.Text;
using System.Text.Json;
using Evaluator.Node.Runs;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Http;

/// <summary>A node whose runs' per-image results are files of a directory (written by the tests).</summary>
public sealed class CompareHttpNode : IAsyncLifetime
{
    public string Directory { get; } = TestEnvironment.TempDir("per-image-runs");

    public HttpNode Inner { get; }

    public CompareHttpNode() => Inner = new HttpNode(null, 1 << 20, perImage: new PerImageDirectory(Directory));

    public Task InitializeAsync() => Inner.InitializeAsync();

    public Task DisposeAsync() => Inner.DisposeAsync();
}

/// <summary>GET /compare on real Kestrel: the comparison of two runs' per-image results, and its problems.</summary>
public sealed class CompareEndpointTests(CompareHttpNode fixture) : IClassFixture<CompareHttpNode>
{
    private readonly HttpClient _http = fixture.Inner.Client;

    private void Runs(string a, string b, int skipInB = 0)
    {
        var images = PerImageFiles.Random(60, 4, 17);
        PerImageFiles.Write(Path.Combine(fixture.Directory, a + ".jsonl"), images);
        PerImageFiles.Write(Path.Combine(fixture.Directory, b + ".jsonl"), PerImageFiles.Perturbed(images, 18, -0.3).Skip(skipInB));
    }

    [Fact]
    public async Task Two_runs_with_per_image_results_are_compared_as_the_command_does()
    {
        Runs("cmp-a", "cmp-b");
        var r = await _http.GetAsync("/compare?a=cmp-a&b=cmp-b&bootstrap=200&seed=3");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        var root = doc.RootElement;
        var expected = RunComparison.Compare("cmp-a", PerImageReader.Read(Path.Combine(fixture.Directory, "cmp-a.jsonl")),
            "cmp-b", PerImageReader.Read(Path.Combine(fixture.Directory, "cmp-b.jsonl")),
            new ComparisonRequest { Bootstrap = new BootstrapOptions(200, 3, 0.95) });
        Assert.Equal(ComparisonFormats.Json(expected, indented: false), root.GetRawText());
        Assert.True(root.GetProperty("delta_low").GetDouble() > 0);
        Assert.Equal(4, root.GetProperty("per_class").GetArrayLength());
    }

    [Fact]
    public async Task Problems_name_the_run_or_the_images()
    {
        Runs("p-a", "p-b", skipInB: 2);
        var r = await _http.GetAsync("/compare?a=p-a&b=p-b");
        Assert.Equal((HttpStatusCode)422, r.StatusCode);
        var body = await r.Content.ReadAsStringAsync();
        Assert.Contains("city/img_00000.png", body);
        Assert.Contains("only_in_a", body);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/compare?a=p-a&b=p-b&intersect=true&bootstrap=0")).StatusCode);

        r = await _http.GetAsync("/compare?a=p-a&b=nobody");
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        Assert.Contains("nobody", await r.Content.ReadAsStringAsync());

        // A run the node knows but that has no per-image results: 409.
        var created = await _http.PostAsync("/runs", new StringContent("""{"run_id":"plain-run","num_classes":4,"partitions":1}""", Encoding.UTF8, "application/json"));
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        r = await _http.GetAsync("/compare?a=p-a&b=plain-run");
        Assert.Equal(HttpStatusCode.Conflict, r.StatusCode);
        Assert.Contains("run plain-run was not started with per-image results", await r.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.BadRequest, (await _http.GetAsync("/compare?a=p-a")).StatusCode);
        r = await _http.GetAsync("/compare?a=p-a&b=p-b&confidence=2");
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("confidence 2", await r.Content.ReadAsStringAsync());
        // The resamples are bounded like GET /runs/{id}/bootstrap's (evaluator.http.max-bootstrap-resamples).
        r = await _http.GetAsync("/compare?a=p-a&b=p-b&bootstrap=20000");
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("bootstrap=20000: it must be between 0 and 10000 (evaluator.http.max-bootstrap-resamples)", await r.Content.ReadAsStringAsync());

        File.WriteAllText(Path.Combine(fixture.Directory, "broken.jsonl"), "{\"image\": 1}\n");
        r = await _http.GetAsync("/compare?a=p-a&b=broken");
        Assert.Equal((HttpStatusCode)422, r.StatusCode);
        Assert.Contains("broken:1: 'image' is missing", await r.Content.ReadAsStringAsync());
    }
}
