using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Evaluator.Node.Http;
using Evaluator.Node.Runs;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Http;

/// <summary>
/// Issue #12 on real Kestrel: shared snapshot bytes and sparse events (5), body lengths and the
/// cap on requests in flight (6), Host, Origin and Content-Type (17), and the smaller items (19).
/// </summary>
public sealed class HttpHardeningTests(HttpNode fixture) : IClassFixture<HttpNode>
{
    private readonly HttpClient _http = fixture.Client;

    private static string NewId() => "x-" + Guid.NewGuid().ToString("N")[..10];

    private static StringContent Json(string s) => new(s, Encoding.UTF8, "application/json");

    private async Task<string> CreateRun(int classes, string extra = "")
    {
        var id = NewId();
        var r = await _http.PostAsync("/runs", Json($$"""{"run_id":"{{id}}","num_classes":{{classes}}{{extra}}}"""));
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        return id;
    }

    private Task<HttpResponseMessage> Push(string run, long seq, byte[] gt, byte[] pred) =>
        _http.PostAsync($"/runs/{run}/partitions/0/batches/{seq}?shape={gt.Length}&dtype=uint8", HttpApiTests.Bin([.. gt, .. pred]));

    private static async Task ExpectProblem(HttpResponseMessage r, HttpStatusCode code, string text)
    {
        Assert.Equal(code, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        Assert.Contains(text, await r.Content.ReadAsStringAsync());
    }

    private async Task<string> FirstEventData(string run)
    {
        using var res = await _http.GetAsync($"/runs/{run}/events", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await res.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal)) return line[6..];
        }
        throw new EndOfStreamException();
    }

    // ---- 5: snapshots -----------------------------------------------------------------------

    [Fact]
    public async Task A_snapshot_is_serialized_once_and_its_bytes_shared_by_every_reader()
    {
        var run = await CreateRun(3);
        Assert.Equal(HttpStatusCode.OK, (await Push(run, 0, [0, 1, 2], [0, 1, 1])).StatusCode);
        var s = (await SnapshotFeed.GetAsync(fixture.Node, run))!;
        Assert.Same(fixture.Api.Snapshots.Report(s), fixture.Api.Snapshots.Report(s));
        Assert.Same(fixture.Api.Snapshots.Event(s), fixture.Api.Snapshots.Event(s));

        var before = fixture.Api.Snapshots.Serializations;
        var bodies = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => _http.GetStringAsync($"/runs/{run}/snapshot")));
        var events = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => FirstEventData(run)));
        Assert.Single(bodies.Distinct());
        Assert.Single(events.Distinct());
        // Ten readers of one snapshot, two shapes: two serializations (none if the cache already held them).
        Assert.InRange(fixture.Api.Snapshots.Serializations - before, 0, 2);
    }

    [Fact]
    public async Task The_event_stream_of_a_many_class_run_sends_the_matrix_sparse()
    {
        const int classes = 1500;
        var run = await CreateRun(classes);
        Assert.Equal(HttpStatusCode.OK, (await Push(run, 0, [0, 1, 1, 7], [0, 1, 2, 7])).StatusCode);
        var data = await FirstEventData(run);
        // A dense 1500×1500 matrix alone is at least 2·1500² = 4.5 MB of JSON ("0," a cell); the
        // per-class metrics and names are some 150 bytes a class.
        Assert.True(data.Length < 1_000_000, $"the event is {data.Length} bytes");
        var e = JsonDocument.Parse(data).RootElement;
        Assert.False(e.TryGetProperty("confusion_matrix", out _));
        var cells = e.GetProperty("confusion_cells").EnumerateArray()
            .Select(c => (c[0].GetInt32(), c[1].GetInt32(), c[2].GetInt64())).ToList();
        Assert.Equal([(0, 0, 1L), (1, 1, 1L), (1, 2, 1L), (7, 7, 1L)], cells);
        Assert.Equal(classes, e.GetProperty("num_classes").GetInt32());
        // /snapshot keeps the report shape: the dense matrix.
        var snapshot = JsonDocument.Parse(await _http.GetStringAsync($"/runs/{run}/snapshot")).RootElement;
        Assert.Equal(classes, snapshot.GetProperty("confusion_matrix").GetArrayLength());
    }

    [Fact]
    public async Task The_snapshot_cache_keeps_to_its_byte_budget_and_serves_sparse_on_request()
    {
        var run = await CreateRun(3);
        Assert.Equal(HttpStatusCode.OK, (await Push(run, 0, [0, 1, 2], [0, 1, 1])).StatusCode);
        var s = (await SnapshotFeed.GetAsync(fixture.Node, run))!;
        var tiny = new SnapshotBytes(capacity: 16, maxBytes: 1);
        var dense = tiny.Report(s);
        var sparse = tiny.Event(s);
        Assert.Equal(sparse.LongLength, tiny.Bytes); // the newest is kept, the older dropped
        Assert.Same(sparse, tiny.Event(s));
        Assert.NotSame(dense, tiny.Report(s));
        Assert.Equal(3, tiny.Serializations);

        var onRequest = JsonDocument.Parse(await _http.GetStringAsync($"/runs/{run}/snapshot?matrix=sparse")).RootElement;
        Assert.False(onRequest.TryGetProperty("confusion_matrix", out _));
        Assert.Equal(3, onRequest.GetProperty("confusion_cells").GetArrayLength());
        await ExpectProblem(await _http.GetAsync($"/runs/{run}/snapshot?matrix=csv"), HttpStatusCode.BadRequest, "dense or sparse");
    }

    // ---- 6: request bodies ------------------------------------------------------------------

    [Fact]
    public async Task Body_lengths_that_overflow_or_exceed_the_limit_are_4xx_problems_not_500()
    {
        var run = await CreateRun(3);
        await ExpectProblem(await _http.PostAsync($"/runs/{run}/partitions/0/batches/0?shape=1073741824,1073741824&dtype=int64",
            HttpApiTests.Bin(new byte[16])), HttpStatusCode.RequestEntityTooLarge, "more bytes than any body");

        // Chunked (no Content-Length): refused from the shape alone, before anything is allocated or read.
        static HttpContent Chunked(int bytes)
        {
            var content = new StreamContent(new MemoryStream(new byte[bytes]));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            return content;
        }
        foreach (var shape in new[] { "9223372036854775807", "100000000" })
        {
            var req = new HttpRequestMessage(HttpMethod.Post, $"/runs/{run}/partitions/0/batches/0?shape={shape}&dtype=uint8") { Content = Chunked(16) };
            req.Headers.TransferEncodingChunked = true;
            await ExpectProblem(await _http.SendAsync(req), HttpStatusCode.RequestEntityTooLarge, "body");
        }

        // Cells that add up past int64.
        var cells = new[] { long.MaxValue, 1L, 0, 0 }.SelectMany(BitConverter.GetBytes).ToArray();
        await ExpectProblem(await _http.PostAsync($"/runs/{run}/partitions/0/matrices/0", HttpApiTests.Bin(cells)),
            HttpStatusCode.UnprocessableEntity, "int64");
        var ok = await _http.PostAsync($"/runs/{run}/partitions/0/matrices/0", HttpApiTests.Bin(new[] { 1L, 0, 0, 0 }.SelectMany(BitConverter.GetBytes).ToArray()));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, ok.StatusCode); // a 2×2 matrix for a 3-class run: refused as before
        Assert.Equal(HttpStatusCode.OK, (await Push(run, 0, [0], [0])).StatusCode);
    }

    // ---- 17: Host, Origin, Content-Type -----------------------------------------------------

    [Fact]
    public async Task A_foreign_Host_is_421_and_the_loopback_names_are_served()
    {
        var port = fixture.Api.Address.Port;
        foreach (var host in new[] { "evil.example", $"evil.example:{port}", "192.168.1.5" })
        {
            var req = new HttpRequestMessage(HttpMethod.Get, "/runs");
            req.Headers.Host = host;
            await ExpectProblem(await _http.SendAsync(req), HttpStatusCode.MisdirectedRequest, "Host");
        }
        foreach (var host in new[] { $"localhost:{port}", $"127.0.0.1:{port}", "[::1]" })
        {
            var req = new HttpRequestMessage(HttpMethod.Get, "/runs");
            req.Headers.Host = host;
            Assert.Equal(HttpStatusCode.OK, (await _http.SendAsync(req)).StatusCode);
        }
    }

    [Fact]
    public async Task Writes_need_their_content_type_and_a_same_origin()
    {
        var id = NewId();
        var body = $$"""{"run_id":"{{id}}","num_classes":2}""";
        await ExpectProblem(await _http.PostAsync("/runs", new StringContent(body)), HttpStatusCode.UnsupportedMediaType, "application/json");
        await ExpectProblem(await _http.PostAsync("/runs", new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded")),
            HttpStatusCode.UnsupportedMediaType, "application/json");

        async Task<HttpResponseMessage> Post(string header, string value)
        {
            var req = new HttpRequestMessage(HttpMethod.Post, "/runs") { Content = Json(body) };
            req.Headers.TryAddWithoutValidation(header, value);
            return await _http.SendAsync(req);
        }
        await ExpectProblem(await Post("Origin", "http://evil.example"), HttpStatusCode.Forbidden, "evil.example");
        await ExpectProblem(await Post("Origin", "null"), HttpStatusCode.Forbidden, "origin");
        await ExpectProblem(await Post("Sec-Fetch-Site", "cross-site"), HttpStatusCode.Forbidden, "origin");
        Assert.Equal(HttpStatusCode.Created, (await Post("Origin", $"http://{fixture.Api.Address.Authority}")).StatusCode);

        var untyped = new ByteArrayContent([0, 0]);
        await ExpectProblem(await _http.PostAsync($"/runs/{id}/partitions/0/batches/0?shape=1&dtype=uint8", untyped),
            HttpStatusCode.UnsupportedMediaType, "application/octet-stream");
        await ExpectProblem(await _http.PostAsync($"/runs/{id}/partitions/0/matrices/0", new StringContent("x")),
            HttpStatusCode.UnsupportedMediaType, "application/octet-stream");
        await ExpectProblem(await _http.PostAsync($"/runs/{id}/complete", new StringContent("x")),
            HttpStatusCode.UnsupportedMediaType, "application/json");
        Assert.Equal(HttpStatusCode.Accepted, (await _http.PostAsync($"/runs/{id}/complete", null)).StatusCode);
    }

    [Fact]
    public void Allowed_hosts_extend_the_url_host_and_a_wildcard_url_accepts_any()
    {
        static HttpSettings Settings(string http) => HttpSettings.From(Akka.Configuration.ConfigurationFactory.ParseString($"evaluator.http {{ max-body-bytes = 10, {http} }}"));
        var loopback = Settings("url = \"http://127.0.0.1:8080\", allowed-hosts = [\"Evaluator.Lan\"]").HostNames()!;
        Assert.Superset(new HashSet<string> { "127.0.0.1", "localhost", "[::1]", "evaluator.lan" }, loopback.ToHashSet());
        Assert.DoesNotContain("evil.example", loopback);
        Assert.Null(Settings("url = \"http://0.0.0.0:8080\", token = t").HostNames());
        var named = Settings("url = \"http://eval.example:8080\", token = t").HostNames()!;
        Assert.Equal(["eval.example"], named);
    }

    // ---- 19: the smaller items --------------------------------------------------------------

    [Fact]
    public async Task Request_edge_checks_run_id_newline_duplicate_names_negative_seq_and_beta()
    {
        await ExpectProblem(await _http.PostAsync("/runs", Json("""{"run_id":"abc\n","num_classes":2}""")), HttpStatusCode.BadRequest, "run id");
        Assert.False(RunIds.IsValid("abc\n"));
        await ExpectProblem(await _http.PostAsync("/runs", Json("""{"num_classes":3,"class_names":["a","b","a"]}""")),
            HttpStatusCode.BadRequest, "class name 'a' is given twice");
        foreach (var beta in new[] { "1e308", "1e-200", "0", "-1" })
        {
            await ExpectProblem(await _http.PostAsync("/runs", Json($$"""{"num_classes":2,"beta":{{beta}}}""")),
                HttpStatusCode.BadRequest, "beta");
        }
        var run = await CreateRun(2, ""","beta":1e6""");
        await ExpectProblem(await Push(run, -1, [0], [0]), HttpStatusCode.BadRequest, "seq");
        await ExpectProblem(await _http.PostAsync($"/runs/{run}/partitions/0/matrices/-3", HttpApiTests.Bin(new byte[32])),
            HttpStatusCode.BadRequest, "seq");
        Assert.Equal(HttpStatusCode.OK, (await Push(run, 0, [0], [0])).StatusCode);
    }

    [Fact]
    public async Task A_read_of_an_unknown_run_is_404_without_starting_its_coordinator()
    {
        var ids = Enumerable.Range(0, 30).Select(_ => NewId()).ToList();
        foreach (var id in ids)
        {
            foreach (var path in new[] { "", "/snapshot", "/report.json", "/report.csv", "/events" })
                await ExpectProblem(await _http.GetAsync($"/runs/{id}{path}"), HttpStatusCode.NotFound, id);
        }
        var state = await fixture.Node.Coordinators.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(10));
        var entities = state.Shards.SelectMany(s => s.EntityIds).ToHashSet();
        Assert.DoesNotContain(entities, ids.Contains);

        // A run created right after its id was looked up in vain is found at once (the catalog is invalidated).
        var late = ids[0];
        Assert.Equal(HttpStatusCode.Created, (await _http.PostAsync("/runs", Json($$"""{"run_id":"{{late}}","num_classes":2}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync($"/runs/{late}/snapshot")).StatusCode);
    }

    [Fact]
    public async Task Healthz_tells_nothing_and_status_gives_the_address()
    {
        var health = await _http.GetStringAsync("/healthz");
        Assert.DoesNotContain("akka", health);
        Assert.Equal("ok", JsonDocument.Parse(health).RootElement.GetProperty("status").GetString());
        var status = JsonDocument.Parse(await _http.GetStringAsync("/status")).RootElement;
        Assert.StartsWith("akka", status.GetProperty("address").GetString());
    }

    [Fact]
    public async Task Csv_cells_that_a_spreadsheet_would_run_are_neutralised()
    {
        var run = await CreateRun(5, ""","class_names":["=HYPERLINK(\"http://evil\")","+1","-2","@SUM(A1)","road"]""");
        Assert.Equal(HttpStatusCode.OK, (await Push(run, 0, [0, 4], [0, 4])).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await _http.PostAsync($"/runs/{run}/complete", null)).StatusCode);
        var csv = await Poll.UntilAsync(() => _http.GetAsync($"/runs/{run}/report.csv"),
            r => r.StatusCode != HttpStatusCode.Conflict, TimeSpan.FromSeconds(30), "the completed run's CSV");
        var lines = (await csv.Content.ReadAsStringAsync()).Split('\n');
        Assert.StartsWith("0,\"'=HYPERLINK(\"\"http://evil\"\")\",", lines[1]);
        Assert.StartsWith("1,'+1,", lines[2]);
        Assert.StartsWith("2,'-2,", lines[3]);
        Assert.StartsWith("3,'@SUM(A1),", lines[4]);
        Assert.StartsWith("4,road,", lines[5]);
    }

    [Fact]
    public async Task Routing_and_size_refusals_carry_a_problem_body()
    {
        await ExpectProblem(await _http.GetAsync("/no/such/thing"), HttpStatusCode.NotFound, "Not Found");
        await ExpectProblem(await _http.DeleteAsync("/runs"), HttpStatusCode.MethodNotAllowed, "Method Not Allowed");
        await ExpectProblem(await _http.GetAsync("/runs/" + new string('a', RequestGuards.MaxRequestTarget + 10)),
            HttpStatusCode.RequestUriTooLong, "request target");
        var big = new HttpRequestMessage(HttpMethod.Get, "/runs");
        big.Headers.Add("X-Padding", new string('p', RequestGuards.MaxHeaderBytes + 10));
        await ExpectProblem(await _http.SendAsync(big), HttpStatusCode.RequestHeaderFieldsTooLarge, "headers");
    }
}

/// <summary>Item 6: requests in flight are capped; beyond the cap 429 with Retry-After.</summary>
public sealed class HttpInFlightTests(LimitedHttpNode fixture) : IClassFixture<LimitedHttpNode>
{
    private readonly HttpClient _http = fixture.Inner.Client;

    [Fact]
    public async Task Requests_beyond_the_cap_are_429_with_retry_after()
    {
        var run = "cap-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(HttpStatusCode.Created,
            (await _http.PostAsync("/runs", new StringContent($$"""{"run_id":"{{run}}","num_classes":2}""", Encoding.UTF8, "application/json"))).StatusCode);
        // Two open event streams hold both slots.
        var streams = new List<HttpResponseMessage>();
        for (var i = 0; i < 2; i++)
        {
            var s = await _http.GetAsync($"/runs/{run}/events", HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, s.StatusCode);
            streams.Add(s);
        }
        var refused = await _http.GetAsync("/runs");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/healthz")).StatusCode);

        foreach (var s in streams) s.Dispose();
        // The server learns that the streams closed when their connections go: wait for the slots.
        var code = await Poll.UntilAsync(async () => (await _http.GetAsync("/runs")).StatusCode,
            c => c != HttpStatusCode.TooManyRequests, TimeSpan.FromSeconds(20), "a slot given back");
        Assert.Equal(HttpStatusCode.OK, code);
    }
}

/// <summary>Item 18 with public-reads = on: reads open, writes still need the token.</summary>
public sealed class HttpPublicReadsTests(PublicReadsHttpNode fixture) : IClassFixture<PublicReadsHttpNode>
{
    private readonly HttpClient _http = fixture.Inner.Client;

    [Fact]
    public async Task Reads_are_open_writes_and_status_are_not()
    {
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/runs")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _http.GetAsync("/status")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await _http.PostAsync("/runs", new StringContent("""{"num_classes":2}""", Encoding.UTF8, "application/json"))).StatusCode);
    }
}
