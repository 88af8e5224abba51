using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Evaluator.Messages;
using Evaluator.Node.Http;
using Evaluator.Tests.Core;

namespace Evaluator.Tests.Http;

/// <summary>The HTTP API on real Kestrel, through HttpClient: ingest, idempotency, SSE, reports, errors.</summary>
public sealed class HttpApiTests(HttpNode fixture) : IClassFixture<HttpNode>
{
    private readonly HttpClient _http = fixture.Client;

    private static string NewId() => "h-" + Guid.NewGuid().ToString("N")[..10];

    private async Task<string> CreateRun(int classes, int partitions, string extra = "")
    {
        var id = NewId();
        var r = await _http.PostAsync("/runs", Json($$"""{"run_id":"{{id}}","num_classes":{{classes}},"partitions":{{partitions}},"ignore_labels":[255]{{extra}}}"""));
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        return id;
    }

    private static StringContent Json(string s) => new(s, Encoding.UTF8, "application/json");

    /// <summary>A binary ingest body, typed as the ingest endpoints require.</summary>
    internal static ByteArrayContent Bin(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }

    private Task<HttpResponseMessage> Push(string run, int p, long seq, byte[] gt, byte[] pred, string dtype = "uint8") =>
        _http.PostAsync($"/runs/{run}/partitions/{p}/batches/{seq}?shape={gt.Length}&dtype={dtype}",
            Bin([.. gt, .. pred]));

    private static async Task<JsonElement> Body(HttpResponseMessage r) =>
        JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone();

    private async Task<JsonElement> AwaitFinal(string run)
    {
        // The final snapshot, read from the SSE stream (which closes after it).
        using var stream = await _http.GetStreamAsync($"/runs/{run}/events");
        using var reader = new StreamReader(stream);
        JsonElement last = default;
        string? line;
        while ((line = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30))) is not null)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
                last = JsonDocument.Parse(line[6..]).RootElement.Clone();
        }
        Assert.True(last.GetProperty("final").GetBoolean());
        return last;
    }

    /// <summary>The matrix of a report (dense confusion_matrix) or of an event (sparse confusion_cells).</summary>
    private static ConfusionMatrix MatrixOf(JsonElement report)
    {
        if (report.TryGetProperty("confusion_matrix", out var dense))
        {
            return ConfusionMatrix.FromRows(dense.EnumerateArray()
                .Select(r => (IReadOnlyList<long>)r.EnumerateArray().Select(v => v.GetInt64()).ToList()).ToList());
        }
        var m = new ConfusionMatrix(report.GetProperty("num_classes").GetInt32());
        foreach (var cell in report.GetProperty("confusion_cells").EnumerateArray())
            m.Add(cell[0].GetInt32(), cell[1].GetInt32(), cell[2].GetInt64());
        return m;
    }

    [Fact]
    public async Task Concurrent_clients_with_retries_and_duplicates_give_the_exact_matrix()
    {
        const int classes = 6, partitions = 3, batches = 8;
        var run = await CreateRun(classes, partitions);
        var all = new List<(long[] Gt, long[] Pred)>();
        var clients = Enumerable.Range(0, partitions).Select(async p =>
        {
            var rng = new Random(p);
            for (var seq = 0; seq < batches; seq++)
            {
                var n = rng.Next(1, 500);
                var gt = Enumerable.Range(0, n).Select(_ => rng.Next(12) == 0 ? (byte)255 : (byte)rng.Next(classes)).ToArray();
                var pred = Enumerable.Range(0, n).Select(_ => (byte)rng.Next(classes)).ToArray();
                lock (all) all.Add((gt.Select(v => (long)v).ToArray(), pred.Select(v => (long)v).ToArray()));
                var r = await Push(run, p, seq, gt, pred);
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
                var body = await Body(r);
                Assert.Equal("counted", body.GetProperty("status").GetString());
                Assert.Equal(seq + 1, body.GetProperty("watermark").GetInt64());
                // A client that lost the answer retries: acknowledged, not counted again.
                if (seq % 3 == 0)
                {
                    var again = await Body(await Push(run, p, seq, gt, pred));
                    Assert.Equal("duplicate", again.GetProperty("status").GetString());
                    Assert.Equal(seq + 1, again.GetProperty("watermark").GetInt64());
                }
            }
        });
        await Task.WhenAll(clients);
        Assert.Equal(HttpStatusCode.Accepted, (await _http.PostAsync($"/runs/{run}/complete", null)).StatusCode);

        var final = await AwaitFinal(run);
        var expected = NaiveCount.Run(new RunSpec(classes, ignoreLabels: [255]),
            all.SelectMany(x => x.Gt).ToList(), all.SelectMany(x => x.Pred).ToList());
        Assert.Equal(expected.Matrix, MatrixOf(final));
        Assert.Equal(expected.Pixels.Ignored, final.GetProperty("pixels").GetProperty("ignored").GetInt64());
        Assert.Equal("completed", final.GetProperty("status").GetString());

        var report = await _http.GetAsync($"/runs/{run}/report.json");
        Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        Assert.Equal(expected.Matrix, MatrixOf(await Body(report)));
        var csv = await _http.GetStringAsync($"/runs/{run}/report.csv");
        Assert.Equal(classes + 1, csv.Trim().Split('\n').Length);

        // A closed run takes no more batches.
        var late = await Push(run, 0, batches, [1], [1]);
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
    }

    [Fact]
    public async Task A_gap_is_refused_with_the_expected_seq_and_bad_labels_count_nothing()
    {
        var run = await CreateRun(3, 1);
        Assert.Equal(HttpStatusCode.OK, (await Push(run, 0, 0, [0, 1], [0, 1])).StatusCode);

        var gap = await Push(run, 0, 5, [0], [0]);
        Assert.Equal(HttpStatusCode.Conflict, gap.StatusCode);
        Assert.Equal("application/problem+json", gap.Content.Headers.ContentType!.MediaType);
        Assert.Equal(1, (await Body(gap)).GetProperty("expected_seq").GetInt64());

        var bad = await Push(run, 0, 1, [0, 7], [0, 0]); // label 7 ≥ 3
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        var problem = await Body(bad);
        Assert.Contains("label 7", problem.GetProperty("detail").GetString());
        Assert.Equal(1, problem.GetProperty("watermark").GetInt64());

        var state = await Body(await _http.GetAsync($"/runs/{run}"));
        Assert.Equal(2, state.GetProperty("counted").GetInt64());
        Assert.Equal(1, state.GetProperty("partitions")[0].GetProperty("watermark").GetInt64());
    }

    [Fact]
    public async Task Precomputed_matrices_merge_exactly_and_idempotently()
    {
        var run = await CreateRun(2, 1);
        var cells = new long[] { 5_000_000_000, 3, 4, 1L << 40 };
        var body = cells.SelectMany(BitConverter.GetBytes).ToArray();
        var first = await _http.PostAsync($"/runs/{run}/partitions/0/matrices/0?ignored=9", Bin(body));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("duplicate", (await Body(await _http.PostAsync($"/runs/{run}/partitions/0/matrices/0", Bin(body)))).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, (await _http.PostAsync($"/runs/{run}/partitions/0/matrices/1", Bin(body))).StatusCode);
        await _http.PostAsync($"/runs/{run}/complete", null);
        var final = await AwaitFinal(run);
        Assert.Equal(ConfusionMatrix.FromRows([[10_000_000_000, 6], [8, 1L << 41]]), MatrixOf(final));
        Assert.Equal(9, final.GetProperty("pixels").GetProperty("ignored").GetInt64());
    }

    [Fact]
    public async Task A_refused_matrix_changes_nothing_so_its_retry_is_counted_once()
    {
        // Issue #11 item 1: the matrix was merged before the pixel counters overflowed, so the
        // 422'd batch stayed counted and its retry counted it again.
        var run = await CreateRun(2, 1);
        static ByteArrayContent Cells(params long[] cells) => Bin(cells.SelectMany(BitConverter.GetBytes).ToArray());
        Assert.Equal(HttpStatusCode.OK,
            (await _http.PostAsync($"/runs/{run}/partitions/0/matrices/0?ignored=9223372036854775000", Cells(1, 0, 0, 0))).StatusCode);
        var refused = await _http.PostAsync($"/runs/{run}/partitions/0/matrices/1?ignored=1000", Cells(0, 0, 0, 5));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Equal(1, (await Body(refused)).GetProperty("watermark").GetInt64());
        var retry = await _http.PostAsync($"/runs/{run}/partitions/0/matrices/1", Cells(0, 0, 0, 5));
        Assert.Equal("counted", (await Body(retry)).GetProperty("status").GetString());
        await _http.PostAsync($"/runs/{run}/complete", null);
        var final = await AwaitFinal(run);
        Assert.Equal(ConfusionMatrix.FromRows([[1, 0], [0, 5]]), MatrixOf(final));
        Assert.Equal(6, final.GetProperty("pixels").GetProperty("counted").GetInt64());
        Assert.Equal(9223372036854775000, final.GetProperty("pixels").GetProperty("ignored").GetInt64());
    }

    [Fact]
    public async Task Every_bad_request_is_a_4xx_problem_naming_what_is_wrong()
    {
        var run = await CreateRun(3, 2);
        async Task Expect(HttpResponseMessage r, HttpStatusCode code, string text)
        {
            Assert.Equal(code, r.StatusCode);
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType!.MediaType);
            Assert.Contains(text, await r.Content.ReadAsStringAsync());
        }

        await Expect(await _http.PostAsync("/runs", Json("{\"num_classes\": 0}")), HttpStatusCode.BadRequest, "number of classes is 0");
        await Expect(await _http.PostAsync("/runs", Json("{\"num_classes\": 3, \"colour\": 1}")), HttpStatusCode.BadRequest, "unknown field");
        await Expect(await _http.PostAsync("/runs", Json("not json")), HttpStatusCode.BadRequest, "bad run spec");
        await Expect(await _http.PostAsync("/runs", Json("{\"num_classes\": 3, \"boundary_iou\": true}")), HttpStatusCode.BadRequest,
            "boundary_iou is not available for ingest runs");
        await Expect(await _http.PostAsync("/runs", Json("{\"num_classes\": 3, \"run_id\": \"a/b\"}")), HttpStatusCode.BadRequest, "run id");
        await Expect(await _http.PostAsync("/runs", Json($"{{\"num_classes\": 4, \"run_id\": \"{run}\"}}")), HttpStatusCode.Conflict, "different spec");
        await Expect(await _http.GetAsync("/runs/nope-123/snapshot"), HttpStatusCode.NotFound, "nope-123");
        await Expect(await Push("nope-123", 0, 0, [1], [1]), HttpStatusCode.NotFound, "nope-123");
        await Expect(await Push(run, 7, 0, [1], [1]), HttpStatusCode.NotFound, "partition 7");
        await Expect(await _http.PostAsync($"/runs/{run}/partitions/0/batches/0?shape=4&dtype=uint8", Bin(new byte[5])),
            HttpStatusCode.BadRequest, "needs 8");
        await Expect(await _http.PostAsync($"/runs/{run}/partitions/0/batches/0?shape=2&dtype=float32", Bin(new byte[4])),
            HttpStatusCode.BadRequest, "float32");
        await Expect(await _http.PostAsync($"/runs/{run}/partitions/0/batches/0?shape=x&dtype=uint8", Bin(new byte[4])),
            HttpStatusCode.BadRequest, "shape");
        await Expect(await _http.PostAsync($"/runs/{run}/partitions/0/matrices/0", Bin(new byte[24])),
            HttpStatusCode.BadRequest, "C×C");
        await Expect(await _http.PostAsync($"/runs/{run}/partitions/0/matrices/0", Bin(BitConverter.GetBytes(-1L))),
            HttpStatusCode.UnprocessableEntity, "negative");
        await Expect(await _http.PostAsync($"/runs/{run}/partitions/0/matrices/0",
            Bin(Enumerable.Repeat(0L, 4).SelectMany(BitConverter.GetBytes).ToArray())), HttpStatusCode.UnprocessableEntity, "2-class matrix");
        await Expect(await _http.GetAsync($"/runs/{run}/report.json"), HttpStatusCode.Conflict, "still running");
        Assert.Equal(0, (await Body(await _http.GetAsync($"/runs/{run}"))).GetProperty("pixels").GetInt64());
    }

    [Fact]
    public async Task The_event_stream_starts_with_the_latest_snapshot_and_ends_after_the_final_one()
    {
        var run = await CreateRun(2, 1);
        await Push(run, 0, 0, [0, 1, 1], [0, 1, 0]);
        using var stream = await _http.GetStreamAsync($"/runs/{run}/events");
        using var reader = new StreamReader(stream);
        async Task<JsonElement> NextEvent()
        {
            while (await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)) is { } line)
            {
                if (line.StartsWith("data: ", StringComparison.Ordinal)) return JsonDocument.Parse(line[6..]).RootElement.Clone();
            }
            throw new EndOfStreamException();
        }
        var first = await NextEvent();
        Assert.Equal(3, first.GetProperty("pixels").GetProperty("counted").GetInt64());
        await Push(run, 0, 1, [1], [1]);
        await _http.PostAsync($"/runs/{run}/complete", null);
        JsonElement e;
        do e = await NextEvent();
        while (!e.GetProperty("final").GetBoolean());
        Assert.Equal(4, e.GetProperty("pixels").GetProperty("counted").GetInt64());
        // After the final event the server closes the stream: only its terminating blank line is left.
        var rest = new List<string>();
        while (await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)) is { } tail) rest.Add(tail);
        Assert.All(rest, l => Assert.Equal("", l));
    }

    [Fact]
    public async Task Health_metrics_and_run_list()
    {
        var run = await CreateRun(2, 1);
        await Push(run, 0, 0, [0, 1], [0, 1]);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/healthz")).StatusCode);
        var metrics = await _http.GetStringAsync("/metrics");
        Assert.Contains($"evaluator_mean_iou{{run=\"{run}\"}} 1", metrics);
        Assert.Contains($"evaluator_pixels_counted_total{{run=\"{run}\"}} 2", metrics);
        var runs = await Body(await _http.GetAsync("/runs"));
        Assert.Contains(runs.EnumerateArray(), r => r.GetProperty("run_id").GetString() == run);
    }
}

/// <summary>Write endpoints with a token; body limits; non-loopback binding without a token.</summary>
public sealed class HttpSecurityTests(TokenHttpNode fixture) : IClassFixture<TokenHttpNode>
{
    private readonly HttpClient _http = fixture.Inner.Client;

    [Fact]
    public async Task The_token_guards_writes_and_reads_and_any_case_of_the_scheme_is_accepted()
    {
        static StringContent Spec() => new("{\"num_classes\":2,\"run_id\":\"tok-1\"}", Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.Unauthorized, (await _http.PostAsync("/runs", Spec())).StatusCode);
        var wrong = new HttpRequestMessage(HttpMethod.Post, "/runs") { Content = Spec() };
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "s3cre");
        Assert.Equal(HttpStatusCode.Unauthorized, (await _http.SendAsync(wrong)).StatusCode);
        var right = new HttpRequestMessage(HttpMethod.Post, "/runs") { Content = Spec() };
        right.Headers.Authorization = new AuthenticationHeaderValue("bearer", "s3cret");
        Assert.Equal(HttpStatusCode.Created, (await _http.SendAsync(right)).StatusCode);

        // Reads need it too (public-reads is off by default); /healthz alone is open.
        foreach (var path in new[] { "/runs", "/runs/tok-1", "/runs/tok-1/snapshot", "/runs/tok-1/events", "/metrics", "/status", "/", "/dashboard/run.js" })
        {
            var r = await _http.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
            var read = new HttpRequestMessage(HttpMethod.Get, path);
            read.Headers.Authorization = new AuthenticationHeaderValue("BEARER", "s3cret");
            using var ok = await _http.SendAsync(read, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task The_dashboard_opened_once_with_the_token_reads_with_a_cookie()
    {
        using var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() };
        using var browser = new HttpClient(handler) { BaseAddress = _http.BaseAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/?token=guess")).StatusCode);
        var first = await browser.GetAsync("/runs/tok-9?token=s3cret");
        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        Assert.Equal("/runs/tok-9", first.Headers.Location!.OriginalString);
        var cookie = Assert.Single(first.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/runs")).StatusCode);
        // The cookie is for reads: a write still needs the header.
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await browser.PostAsync("/runs", new StringContent("{\"num_classes\":2}", Encoding.UTF8, "application/json"))).StatusCode);
    }

    [Fact]
    public async Task An_oversized_body_is_413_not_500()
    {
        var req = new HttpRequestMessage(HttpMethod.Post, "/runs/tok-2/partitions/0/batches/0?shape=4096&dtype=uint8")
        {
            Content = HttpApiTests.Bin(new byte[8192]),
        };
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret");
        var r = await _http.SendAsync(req);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
    }

    [Fact]
    public void Binding_beyond_loopback_without_a_token_is_refused()
    {
        var config = Akka.Configuration.ConfigurationFactory.ParseString("evaluator.http { url = \"http://0.0.0.0:8080\", token = \"\", max-body-bytes = 10 }");
        var e = Assert.Throws<Akka.Configuration.ConfigurationException>(() => HttpSettings.From(config));
        Assert.Contains("token", e.Message);
        Assert.True(HttpSettings.From(Akka.Configuration.ConfigurationFactory.ParseString(
            "evaluator.http { url = \"http://0.0.0.0:8080\", token = \"t\", max-body-bytes = 10 }")).Enabled);
    }
}
