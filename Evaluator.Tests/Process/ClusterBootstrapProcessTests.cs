using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Evaluator.Messages;
using Evaluator.Tests.Support;
using Xunit.Abstractions;

namespace Evaluator.Tests.Processes;

/// <summary>
/// Cluster formation without seed nodes: three <c>serve</c> processes with
/// <c>EVALUATOR_DISCOVERY=config</c>, each told only the three management endpoints on loopback,
/// form one cluster through Akka.Management's cluster bootstrap (the lowest contact point forms
/// it, the others join), and a <c>submit</c> that also knows only those endpoints joins it and
/// evaluates a dataset exactly. This is the Kubernetes path (deploy/kubernetes) with the Kubernetes
/// API lookup replaced by a static list.
/// </summary>
// Category=Services: runs node processes; ./run-tests.sh --fast leaves it out.
[Trait("Category", "Services")]
[Collection("processes")]
public sealed class ClusterBootstrapProcessTests(ITestOutputHelper output) : IDisposable
{
    private const int Nodes = 3;
    private const int Classes = 6;
    private const int MemberUp = 1; // Akka.Cluster.MemberStatus.Up, as the bootstrap endpoint's JSON writes it
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private readonly List<ChildProcess> _children = [];
    private readonly string _dir = TestEnvironment.TempDir("bootstrap");

    /// <summary>A node's environment: no seed nodes anywhere, only the contact points.</summary>
    private static Dictionary<string, string?> Environment(int port, int managementPort, string contactPoints, string dataDir) => new()
    {
        ["EVALUATOR_DISCOVERY"] = "config",
        ["EVALUATOR_CONTACT_POINTS"] = contactPoints,
        ["EVALUATOR_REQUIRED_CONTACT_POINTS"] = $"{Nodes}",
        ["EVALUATOR_BOOTSTRAP_STABLE_MARGIN"] = "1s",
        ["EVALUATOR_MANAGEMENT_PORT"] = managementPort.ToString(CultureInfo.InvariantCulture),
        ["EVALUATOR_HOSTNAME"] = "127.0.0.1",
        ["EVALUATOR_PORT"] = port.ToString(CultureInfo.InvariantCulture),
        ["EVALUATOR_SEED_NODES"] = null,
        ["EVALUATOR_DATA_DIR"] = dataDir,
        ["EVALUATOR_JOURNAL_PROVIDER"] = null,
        ["EVALUATOR_JOURNAL_CONNECTION"] = null,
    };

    [Theory]
    [InlineData(Journals.Sqlite)]
    [InlineData(Journals.Postgres)] // the journal of deploy/kubernetes
    public async Task Three_nodes_with_config_discovery_and_no_seed_nodes_form_one_cluster_and_evaluate_exactly(string journalKind)
    {
        var ports = FreePorts(2 * Nodes + 1);
        var management = ports[Nodes..(2 * Nodes)];
        var contactPoints = string.Join(",", management.Select(p => $"127.0.0.1:{p}"));
        var journal = Path.Combine(_dir, "journal");
        var nodes = Enumerable.Range(0, Nodes).Select(i =>
        {
            var env = Environment(ports[i], management[i], contactPoints, journal);
            foreach (var (name, value) in Journals.Environment(journalKind)) env[name] = value;
            var child = ChildProcess.StartEvaluator(["serve"], env);
            _children.Add(child);
            return child;
        }).ToList();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < Nodes; i++)
        {
            var up = nodes[i].WaitForLine(l => l.StartsWith("evaluator node up at ", StringComparison.Ordinal), Timeout, $"node {i} up");
            Assert.Contains($"akka.tcp://evaluator@127.0.0.1:{ports[i]} ", up);
            output.WriteLine($"[{clock.Elapsed.TotalSeconds:F1} s] node {i} up");
            Assert.Contains($"(cluster bootstrap, contact points {contactPoints.Replace(",", ", ", StringComparison.Ordinal)})", nodes[i].Stdout);
        }

        // One cluster: every node's bootstrap endpoint lists the same three members, all Up.
        var expected = ports[..Nodes].Select(p => $"127.0.0.1:{p}").Order().ToList();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        foreach (var port in management)
        {
            var members = await Poll.UntilAsync(() => UpMembersAsync(http, port), m => m.SequenceEqual(expected), Timeout,
                $"the three nodes Up as seen by the endpoint on port {port}");
            output.WriteLine($"[{clock.Elapsed.TotalSeconds:F1} s] management port {port}: up members {string.Join(", ", members)}");
        }

        // A client that knows only the contact points joins that cluster and runs a dataset on it.
        var ds = new Dataset(Path.Combine(_dir, "data"), Dataset.Format.NpyU8, pairs: 12, width: 24, height: 16, classes: Classes, seed: 31);
        var report = Path.Combine(_dir, "report.json");
        var clientEnv = Environment(0, ports[2 * Nodes], contactPoints, Path.Combine(_dir, "client"));
        using var submit = ChildProcess.StartEvaluator(
            ["submit", "--gt", ds.GroundTruthDir, "--pred", ds.PredictionDir, "--classes", $"{Classes}", "--ignore", "255",
             "--partitions", "3", "--run-id", $"bootstrap-{Guid.NewGuid():N}"[..22], "--report", report, "--quiet"], clientEnv);
        var exit = submit.WaitForExit(Timeout);
        output.WriteLine($"[{clock.Elapsed.TotalSeconds:F1} s] submit exited with {exit}");
        Assert.True(exit == 0, $"submit exit {exit}\n{submit.Transcript}\n{string.Join("\n", nodes.Select(n => n.Transcript))}");
        var expectedCount = ds.Recount(new RunSpec(Classes, ignoreLabels: [255]));
        var result = ReportFile.Read(report);
        Assert.Equal("completed", result.Status);
        Assert.Equal(expectedCount.Matrix, result.Matrix);
        Assert.Equal(expectedCount.Pixels, result.Pixels);
        Assert.DoesNotContain("seed-nodes", submit.Stdout + submit.Stderr);
    }

    /// <summary>The members that the node's bootstrap endpoint (GET /bootstrap/seed-nodes) lists as Up, as host:port, sorted.</summary>
    private static async Task<List<string>> UpMembersAsync(HttpClient http, int managementPort)
    {
        try
        {
            using var doc = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{managementPort}/bootstrap/seed-nodes"));
            return [.. doc.RootElement.GetProperty("Nodes").EnumerateArray()
                .Where(n => n.GetProperty("Status").GetInt32() == MemberUp)
                .Select(n => $"{n.GetProperty("Node").GetProperty("Host").GetString()}:{n.GetProperty("Node").GetProperty("Port").GetInt32()}")
                .Order()];
        }
        catch (HttpRequestException)
        {
            return [];
        }
    }

    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            foreach (var l in listeners) l.Start();
            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var l in listeners) l.Stop();
        }
    }

    public void Dispose()
    {
        foreach (var c in _children) c.Dispose();
    }
}
