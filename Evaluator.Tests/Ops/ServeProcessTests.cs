using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Ops;

/// <summary>
/// A real <c>serve</c> process: its stdout is one JSON object per line (time, level, message,
/// category, node, and run for a run's coordinator); <c>evaluator health</c> exits 0 against its
/// /readyz and 1 where nothing answers; the CLI's Akka logs are human lines on stderr.
/// </summary>
// Category=Services: child processes.
[Trait("Category", "Services")]
[Collection("processes")]
public sealed class ServeProcessTests
{
    private const string UrlLine = "http api and dashboard at ";

    [Fact]
    public async Task Serve_logs_json_lines_with_run_and_node_fields_and_health_checks_its_readiness()
    {
        var dir = TestEnvironment.TempDir("json-logs");
        using var node = ChildProcess.StartEvaluator(
            ["serve", "--port", "0", "--http", "http://127.0.0.1:0", "--data-dir", Path.Combine(dir, "data")],
            new Dictionary<string, string?> { ["EVALUATOR_LOG_LEVEL"] = "Information" });
        var url = node.WaitForLine(l => l.StartsWith(UrlLine, StringComparison.Ordinal), TimeSpan.FromSeconds(90), "the http line")[UrlLine.Length..].Trim();
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        var run = "log-" + Guid.NewGuid().ToString("N")[..8];
        var created = await http.PostAsync("runs", new StringContent($$"""{"run_id":"{{run}}","num_classes":2}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        // The coordinator's "started" line (Akka, INFO) carries the run as a field.
        await Poll.UntilAsync(() => Lines(node).Any(l => Field(l, "run") == run), TimeSpan.FromSeconds(30),
            $"a log line with run {run}\n{node.Transcript}");
        var lines = Lines(node);
        Assert.NotEmpty(lines);
        foreach (var l in lines)
        {
            foreach (var field in new[] { "time", "level", "message", "category" })
                Assert.True(l.TryGetProperty(field, out _), $"no {field} in {l}");
            Assert.True(DateTimeOffset.TryParse(l.GetProperty("time").GetString(), out _));
        }
        var address = lines.Select(l => Field(l, "node")).First(n => n is not null)!;
        Assert.StartsWith("akka.tcp://evaluator@127.0.0.1:", address);
        var started = lines.First(l => Field(l, "run") == run);
        Assert.Equal(address, Field(started, "node"));
        Assert.Equal("info", Field(started, "level"));
        Assert.Contains(run, Field(started, "message"));

        // evaluator health: 0 when /readyz answers 200, 1 when nothing listens.
        using (var ok = ChildProcess.StartEvaluator(["health", "--url", url + "readyz"]))
        {
            Assert.True(ok.WaitForExit(TimeSpan.FromSeconds(60)) == 0, ok.Transcript);
            Assert.StartsWith("200 ", ok.Stdout);
        }
        using (var down = ChildProcess.StartEvaluator(["health", "--url", $"http://127.0.0.1:{ClosedPort()}/readyz", "--timeout", "5"]))
        {
            Assert.True(down.WaitForExit(TimeSpan.FromSeconds(60)) == 1, down.Transcript);
            Assert.Contains("error: ", down.Stderr);
        }
        node.Signal("TERM");
        Assert.Equal(0, node.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.All(node.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => JsonDocument.Parse(l).Dispose());
        Assert.Contains(Lines(node), l => Field(l, "message") == "evaluator node left the cluster");
    }

    [Fact]
    public void The_cli_writes_akka_logs_as_human_lines_on_stderr_and_keeps_stdout_for_its_output()
    {
        var dir = TestEnvironment.TempDir("cli-logs");
        Directory.CreateDirectory(Path.Combine(dir, "data"));
        using var runs = ChildProcess.StartEvaluator(["runs", "--data-dir", Path.Combine(dir, "data")],
            new Dictionary<string, string?> { ["EVALUATOR_LOG_LEVEL"] = "Debug" });
        Assert.True(runs.WaitForExit(TimeSpan.FromSeconds(60)) == 0, runs.Transcript);
        // Microsoft's simple console format: "<time> dbug: <category>[0] <message>", never JSON.
        Assert.Contains(" dbug: Akka.", runs.Stderr);
        Assert.DoesNotContain("dbug:", runs.Stdout);
        Assert.DoesNotContain(runs.Stderr.Split('\n'), l => l.StartsWith('{'));
    }

    private static List<JsonElement> Lines(ChildProcess p) =>
        [.. p.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    private static string? Field(JsonElement line, string name) =>
        line.TryGetProperty(name, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText() : null;

    private static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
