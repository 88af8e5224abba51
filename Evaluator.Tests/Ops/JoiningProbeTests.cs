using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Ops;

/// <summary>
/// A real <c>serve</c> process answers its probes while it joins the cluster: <c>/healthz</c>
/// 200 (a liveness probe must not kill a joining pod), <c>/readyz</c> 503 saying it is joining,
/// other routes 503 "node is joining the cluster"; once the member is up <c>/readyz</c> is 200.
/// </summary>
// Category=Services: child processes.
[Trait("Category", "Services")]
[Collection("processes")]
public sealed class JoiningProbeTests
{
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task While_its_seed_nodes_do_not_answer_healthz_is_200_and_readyz_and_the_api_are_503_saying_it_is_joining()
    {
        var dir = TestEnvironment.TempDir("joining");
        var url = $"http://127.0.0.1:{FreePort()}/";
        using var node = ChildProcess.StartEvaluator(
        [
            "serve", "--port", "0", "--http", url, "--data-dir", Path.Combine(dir, "data"),
            // Nothing listens there: the node waits for its seed (serve's join timeout is 5 minutes).
            "--seed-nodes", $"akka.tcp://evaluator@127.0.0.1:{FreePort()}",
        ]);
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(10) };

        var live = await Poll.UntilAsync(() => Get(http, "healthz"), r => r.Status == HttpStatusCode.OK, Start,
            $"/healthz while joining\n{node.Transcript}");
        Assert.Contains("\"ok\"", live.Body);

        var (status, body) = await Get(http, "readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal("not ready", problem.GetProperty("title").GetString());
        Assert.StartsWith("cluster-member: joining the cluster: member not up", problem.GetProperty("detail").GetString());

        foreach (var path in new[] { "runs", "metrics", "" })
        {
            var other = await Get(http, path);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, other.Status);
            Assert.Equal("node is joining the cluster", JsonDocument.Parse(other.Body).RootElement.GetProperty("title").GetString());
        }
        Assert.False(node.HasExited, node.Transcript);

        // Stopped while joining: it leaves at once, with its HTTP server.
        node.Signal("TERM");
        Assert.Equal(0, node.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains("stopped while joining the cluster", node.Stdout);
        Assert.Equal((HttpStatusCode)0, (await Get(http, "healthz")).Status);
    }

    [Fact]
    public async Task A_node_that_joins_answers_healthz_and_then_readyz_200_on_the_same_url()
    {
        var dir = TestEnvironment.TempDir("joins");
        var url = $"http://127.0.0.1:{FreePort()}/";
        var port = FreePort();
        // Its own address as its seed: it forms the cluster (the first seed of a StatefulSet does so).
        using var node = ChildProcess.StartEvaluator(
        [
            "serve", "--port", $"{port}", "--hostname", "127.0.0.1", "--http", url, "--data-dir", Path.Combine(dir, "data"),
            "--seed-nodes", $"akka.tcp://evaluator@127.0.0.1:{port}",
        ]);
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(10) };

        await Poll.UntilAsync(() => Get(http, "readyz"), r => r.Status == HttpStatusCode.OK, Start,
            $"/readyz 200\n{node.Transcript}");
        Assert.Equal(HttpStatusCode.OK, (await Get(http, "healthz")).Status);
        Assert.Equal(HttpStatusCode.OK, (await Get(http, "runs")).Status);
        Assert.Contains("while the node joins", node.Stdout);

        node.Signal("TERM");
        Assert.Equal(0, node.WaitForExit(TimeSpan.FromSeconds(60)));
    }

    /// <summary>GET; a refused connection (nothing listens yet, or any more) is status 0.</summary>
    private static async Task<(HttpStatusCode Status, string Body)> Get(HttpClient http, string path)
    {
        try
        {
            using var r = await http.GetAsync(path);
            return (r.StatusCode, await r.Content.ReadAsStringAsync());
        }
        catch (HttpRequestException e)
        {
            return (0, e.Message);
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
