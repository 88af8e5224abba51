using System.Net;
using System.Text.Json;
using Evaluator.Node.Cli;
using Evaluator.Tests.Http;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Cityscapes;

/// <summary>
/// POST /runs with "protocol": "cityscapes" over a data root, on real Kestrel and a one-node
/// cluster: the report's iIoU and category fields are the CLI's on the same files (the same
/// doubles), and GET /runs/{id}/cityscapes.json is the bytes --cityscapes-json writes; 404 for an
/// unknown run, 409 (problem+json) while running and for a run without the protocol.
/// </summary>
public sealed class CityscapesHttpTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private readonly string _dir = TestEnvironment.TempDir("cityscapes-http");
    private readonly HttpNode _node;

    public CityscapesHttpTests()
    {
        // The sample tree copied under the server's one data root.
        CopyTree(Path.Combine(RepoFiles.RepoRoot(), "samples", "cityscapes-protocol"), Path.Combine(Root, "val"));
        _node = new HttpNode(null, 1 << 20, o => o.Set("evaluator.http.data-roots", [Root]));
    }

    private string Root => Path.Combine(_dir, "data");
    private string Gt => Path.Combine(Root, "val", "gtFine");
    private string Pred => Path.Combine(Root, "val", "pred");

    public Task InitializeAsync() => _node.InitializeAsync();

    public Task DisposeAsync() => _node.DisposeAsync();

    private static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    /// <summary>The run over HTTP checked against evaluate on the same files; its id and the local script JSON.</summary>
    private async Task<(string Id, string LocalJson)> RunOverHttp()
    {
        var localReport = Path.Combine(_dir, "report.json");
        var localJson = Path.Combine(_dir, "cityscapes.json");
        Assert.Equal(EvaluatorCli.ExitOk, EvaluatorCli.Run([
            "evaluate", "--protocol", "cityscapes", "--gt", Gt, "--pred", Pred, "--report", localReport,
            "--cityscapes-json", localJson, "--data-dir", Path.Combine(_dir, "local-data"), "--quiet",
        ]));

        var http = _node.Client;
        var posted = await http.PostAsync("/runs", LifecycleHttp.Json(
            $$"""{"protocol":"cityscapes","gt":{{JsonSerializer.Serialize(Gt)}},"pred":{{JsonSerializer.Serialize(Pred)}},"partitions":2}"""));
        Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
        var id = (await LifecycleHttp.Body(posted)).GetProperty("run_id").GetString()!;
        await Poll.UntilAsync(() => LifecycleHttp.Status(http, id), s => s is "completed" or "failed", Wait, "the run finished");
        Assert.Equal("completed", await LifecycleHttp.Status(http, id));

        using var cli = JsonDocument.Parse(await File.ReadAllTextAsync(localReport));
        using var served = JsonDocument.Parse(await http.GetStringAsync($"/runs/{id}/report.json"));
        var (c, s) = (cli.RootElement, served.RootElement);
        Assert.Equal("cityscapes", s.GetProperty("protocol").GetString());
        foreach (var key in new[] { "mean_iou", "mean_iiou", "mean_category_iou", "mean_category_iiou" })
            Assert.Equal(Value(c.GetProperty(key)), Value(s.GetProperty(key)));
        Assert.Equal(PerClass(c, "iiou"), PerClass(s, "iiou"));
        Assert.Equal(PerClass(c, "iou"), PerClass(s, "iou"));
        Assert.Contains(PerClass(s, "iiou"), v => v is not null);
        Assert.Equal(Categories(c), Categories(s));
        Assert.Equal(8, s.GetProperty("categories").GetArrayLength());

        var json = await http.GetAsync($"/runs/{id}/cityscapes.json");
        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        Assert.Equal("application/json", json.Content.Headers.ContentType?.MediaType);
        Assert.Equal(await File.ReadAllBytesAsync(localJson), await json.Content.ReadAsByteArrayAsync());
        return (id, localJson);
    }

    [Fact]
    public Task A_cityscapes_file_run_over_http_reports_what_the_cli_reports_and_serves_the_scripts_json() => RunOverHttp();

    /// <summary>The Python client's Run.cityscapes_json(), written back as the script writes it, is the local file's text.</summary>
    [Fact]
    [Trait("Category", "Services")]
    public async Task The_python_client_reads_the_scripts_json_back_as_the_script_writes_it()
    {
        var (id, localJson) = await RunOverHttp();
        var script = Path.Combine(PythonScripts.ClientDir, "tests", "e2e_cityscapes.py");
        var (code, stdout, stderr, timedOut) = await PythonScripts.RunAsync(
            [script, _node.Api.Address.ToString().TrimEnd('/'), id, localJson], _dir, Wait);
        Assert.False(timedOut, $"e2e_cityscapes.py did not finish\n{stdout}{stderr}");
        Assert.True(code == 0, $"e2e_cityscapes.py exit {code}\n{stdout}{stderr}");
        Assert.EndsWith("OK", stdout.TrimEnd());
    }

    [Fact]
    public async Task The_scripts_json_is_404_for_an_unknown_run_and_409_while_running_or_without_the_protocol()
    {
        var http = _node.Client;
        await Problem(await http.GetAsync("/runs/no-such-run/cityscapes.json"), HttpStatusCode.NotFound, "unknown run");

        var ingest = await LifecycleHttp.CreateIngestRun(http);
        await Problem(await http.GetAsync($"/runs/{ingest}/cityscapes.json"), HttpStatusCode.Conflict, "run not finished");
        Assert.True((await LifecycleHttp.Push(http, ingest, 0)).IsSuccessStatusCode);
        Assert.True((await http.PostAsync($"/runs/{ingest}/complete", null)).IsSuccessStatusCode);
        await Poll.UntilAsync(() => LifecycleHttp.Status(http, ingest), st => st == "completed", Wait, "the ingest run completed");
        var detail = await Problem(await http.GetAsync($"/runs/{ingest}/cityscapes.json"), HttpStatusCode.Conflict,
            "not a cityscapes-protocol run");
        Assert.Contains(ingest, detail);
    }

    private static async Task<string> Problem(HttpResponseMessage r, HttpStatusCode status, string title)
    {
        Assert.Equal(status, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        var body = await LifecycleHttp.Body(r);
        Assert.Equal(title, body.GetProperty("title").GetString());
        return body.GetProperty("detail").GetString()!;
    }

    /// <summary>A number as its exact double, null as null.</summary>
    private static double? Value(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : e.GetDouble();

    private static List<double?> PerClass(JsonElement report, string key) =>
        [.. report.GetProperty("per_class").EnumerateArray().Select(x => Value(x.GetProperty(key)))];

    private static List<string> Categories(JsonElement report) =>
        [.. report.GetProperty("categories").EnumerateArray().Select(x =>
            $"{x.GetProperty("name").GetString()} {x.GetProperty("classes").GetRawText()} {Value(x.GetProperty("iou")):R} {Value(x.GetProperty("iiou")):R}")];
}
