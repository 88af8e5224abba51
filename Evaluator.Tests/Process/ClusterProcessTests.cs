using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Evaluator.Messages;
using Evaluator.Tests.Support;
using Xunit.Abstractions;

namespace Evaluator.Tests.Processes;

/// <summary>
/// The exactly-once rule on a real cluster: three <c>serve</c> processes (workers) on loopback
/// ports sharing one journal (a SQLite file, or PostgreSQL), and a <c>submit</c> process as
/// the client. Mid-run, a worker, the process hosting the run's coordinator, or the whole
/// cluster is killed with SIGKILL; the run must still end with exactly the independent recount.
/// To read what every child printed, set EVALUATOR_TEST_KEEP_LOGS to a folder: each test
/// writes child0.log, child1.log, ... there (nodes in start order, then submits).
/// </summary>
// Category=Services: runs node processes, half of them on PostgreSQL; ./run-tests.sh --fast leaves it out.
[Trait("Category", "Services")]
[Collection("processes")]
public sealed partial class ClusterProcessTests(ITestOutputHelper output) : IDisposable
{
    private const int Classes = 7;
    private const int Pairs = 60;
    private const int Partitions = 6;

    // 10 pairs a partition at 3 pairs/s: each partition takes over 3 s, so a kill made at the
    // first progress line with some pairs done (progress lines come once a second) lands mid-run.
    private const string Throttle = "3";

    // Split-brain resolver: an unreachable member is downed after this long (then its shards
    // re-home). Every member, the submit client included, must use the same value: the client
    // is a full member and may be the leader that takes the downing decision.
    private const string DownAfter = "2s";

    private static readonly TimeSpan NodeUpTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(120);

    private readonly List<ChildProcess> _children = [];
    private readonly AutoResetEvent _someoneWrote = new(false);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly string _dir = TestEnvironment.TempDir("cluster-process");

    private sealed record Node(int Index, string Address, ChildProcess Process)
    {
        public override string ToString() => $"node {Index} ({Address})";
    }

    [GeneratedRegex(@"(\d[\d,]*)/(\d[\d,]*) pairs")]
    private static partial Regex ProgressPattern();

    // Redirected output is wrapped at 80 columns (at a space): any whitespace between words.
    [GeneratedRegex(@"resuming\s+run\s+(\S+)\s+at\s+(\d[\d,]*)\s+pixels\s+already\s+counted")]
    private static partial Regex ResumingPattern();

    private static long Number(string text) => long.Parse(text, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);

    private static (long Done, long Total)? Progress(string line)
    {
        var m = ProgressPattern().Match(line);
        return m.Success ? (Number(m.Groups[1].Value), Number(m.Groups[2].Value)) : null;
    }

    /// <summary>
    /// What every node of these tests is configured with: the node reads exactly these
    /// environment variables (as docker/compose.yaml sets them), nothing on the command line.
    /// The journal variables are unset for SQLite (the shared data directory decides) and set by
    /// <see cref="Journals.Environment"/> for PostgreSQL.
    /// </summary>
    private static Dictionary<string, string?> NodeEnvironment(int port, string seedNodes, string dataDir, string? throttle) => new()
    {
        ["EVALUATOR_HOSTNAME"] = "127.0.0.1",
        ["EVALUATOR_PORT"] = port.ToString(CultureInfo.InvariantCulture),
        ["EVALUATOR_SEED_NODES"] = seedNodes,
        ["EVALUATOR_ROLES"] = "worker",
        ["EVALUATOR_DATA_DIR"] = dataDir,
        ["EVALUATOR_JOURNAL_PROVIDER"] = null,
        ["EVALUATOR_JOURNAL_CONNECTION"] = null,
        ["EVALUATOR_DOWN_AFTER"] = DownAfter,
        // INFO: the coordinator logs "run X: coordinator up on ADDRESS", shards their starts.
        ["EVALUATOR_LOGLEVEL"] = "INFO",
        ["EVALUATOR_THROTTLE_PAIRS_PER_SECOND"] = throttle,
        // Every node serves the HTTP API too (as the compose file's seed), each on a free port.
        ["EVALUATOR_HTTP_URL"] = "http://127.0.0.1:0",
        ["EVALUATOR_HTTP_TOKEN"] = "cluster-test",
    };

    /// <summary>What the submit process is configured with (as the compose file's submit service).</summary>
    private static Dictionary<string, string?> SubmitEnvironment(string seedNodes, string dataDir) => new()
    {
        ["EVALUATOR_SEED_NODES"] = seedNodes,
        ["EVALUATOR_HOSTNAME"] = "127.0.0.1",
        ["EVALUATOR_PORT"] = "0",
        ["EVALUATOR_DOWN_AFTER"] = DownAfter,
        // Only so that the client's (unused) default journal directory is not the test output.
        ["EVALUATOR_DATA_DIR"] = dataDir,
    };

    /// <summary>The environment variables these tests set up their worker nodes with.</summary>
    public static IReadOnlyList<string> NodeVariables { get; } = [.. NodeEnvironment(0, "", "", null).Keys];

    /// <summary>The environment variables these tests set up their submit process with.</summary>
    public static IReadOnlyList<string> SubmitVariables { get; } = [.. SubmitEnvironment("", "").Keys];

    public void Dispose()
    {
        // Every child (nodes and submits) is killed if still running, and disposed once, here.
        if (Environment.GetEnvironmentVariable("EVALUATOR_TEST_KEEP_LOGS") is { Length: > 0 } keep)
        {
            for (var i = 0; i < _children.Count; i++) File.WriteAllText(Path.Combine(keep, $"child{i}.log"), _children[i].Transcript);
        }
        foreach (var c in _children) c.Dispose();
        _someoneWrote.Dispose();
    }

    // ---- the tests ------------------------------------------------------------------------

    [Theory]
    [InlineData(Journals.Sqlite)]
    [InlineData(Journals.Postgres)]
    public void A_worker_killed_mid_run_loses_and_duplicates_nothing(string journal)
    {
        var (ds, spec) = MakeDataset();
        var runId = RunId("worker");
        var report = Path.Combine(_dir, "report.json");
        var nodes = StartCluster(journal, Throttle);
        var submit = StartSubmit(ds, runId, report, nodes);

        var line = WaitForMidRun(submit);
        var coordinator = WaitFor(() => nodes.FirstOrDefault(n => CoordinatorUp(runId).IsMatch(n.Process.Stdout)),
            "the node hosting the coordinator");
        // The victim: a worker that is not the coordinator's and is counting a partition now.
        var victim = WaitFor(() => nodes.FirstOrDefault(n => n != coordinator && Unfinished(n, runId).Count > 0),
            "a worker other than the coordinator's with a partition in progress");
        var survivors = nodes.Where(n => n != victim).ToArray();
        var marks = survivors.ToDictionary(n => n, n => n.Process.Stdout.Length);
        victim.Process.Kill();
        victim.Process.WaitForExit(TimeSpan.FromSeconds(30)); // and its last lines read
        var lost = Unfinished(victim, runId);
        output.WriteLine($"{Elapsed}: killed {victim} at '{line}' with partitions [{string.Join(", ", lost)}] unfinished; " +
                         $"coordinator on {coordinator}");
        Assert.True(lost.Count > 0, $"{victim} had finished its partitions when it was killed\n{Transcripts()}");

        var exit = submit.WaitForExit(RunTimeout);
        output.WriteLine($"{Elapsed}: submit exited with {exit}");
        Assert.True(exit == 0, $"submit exit code {exit}\n{Transcripts()}");
        AssertExact(ds, spec, report);

        // The lost partitions were re-created on the survivors, each from the watermark the
        // coordinator held (not from zero); the coordinator never moved.
        foreach (var p in lost)
        {
            var restarts = survivors.SelectMany(n => Starts(n, runId, marks[n])).Where(s => s.Partition == p).ToList();
            Assert.True(restarts.Count > 0, $"partition {p} of {victim} was not restarted on a survivor\n{Transcripts()}");
            Assert.All(restarts, s => Assert.True(s.Batch > 0, $"partition {p} restarted from batch 0\n{Transcripts()}"));
        }
        Assert.Same(coordinator, Assert.Single(survivors, n => CoordinatorUp(runId).IsMatch(n.Process.Stdout)));
    }

    [Theory]
    [InlineData(Journals.Sqlite)]
    [InlineData(Journals.Postgres)]
    public void The_coordinators_process_killed_mid_run_recovers_from_the_journal_elsewhere_exactly(string journal)
    {
        var (ds, spec) = MakeDataset();
        var runId = RunId("coord");
        var report = Path.Combine(_dir, "report.json");
        var nodes = StartCluster(journal, Throttle);
        var submit = StartSubmit(ds, runId, report, nodes);

        var line = WaitForMidRun(submit);
        var victim = WaitFor(() => nodes.FirstOrDefault(n => CoordinatorUp(runId).IsMatch(n.Process.Stdout)),
            "the node hosting the coordinator");
        var up = CoordinatorUp(runId).Match(victim.Process.Stdout);
        Assert.Equal(victim.Address, up.Groups[1].Value);
        var survivors = nodes.Where(n => n != victim).ToArray();
        var marks = survivors.ToDictionary(n => n, n => n.Process.Stdout.Length);
        victim.Process.Kill();
        victim.Process.WaitForExit(TimeSpan.FromSeconds(30)); // and its last lines read
        var lost = Unfinished(victim, runId);
        output.WriteLine($"{Elapsed}: killed {victim}, the coordinator's, at '{line}' " +
                         $"with partitions [{string.Join(", ", lost)}] unfinished");
        Assert.DoesNotContain($"run {runId}: completed", victim.Process.Stdout);

        var exit = submit.WaitForExit(RunTimeout);
        output.WriteLine($"{Elapsed}: submit exited with {exit}");
        Assert.True(exit == 0, $"submit exit code {exit}\n{Transcripts()}");
        AssertExact(ds, spec, report);

        // A survivor recovered the coordinator (from the journal: "coordinator up" is logged when
        // recovery has replayed) and completed the run there.
        var successors = survivors.Where(n => CoordinatorUp(runId).Match(After(n, marks[n])) is { Success: true } m
                                              && m.Groups[1].Value == n.Address).ToList();
        Assert.True(successors.Count > 0, $"no survivor recovered the coordinator\n{Transcripts()}");
        Assert.Contains(survivors, n => After(n, marks[n]).Contains($"run {runId}: completed", StringComparison.Ordinal));
        // Every partition (re)started after the kill resumed from what the journal held.
        var restarts = survivors.SelectMany(n => Starts(n, runId, marks[n])).ToList();
        Assert.All(restarts, s => Assert.True(s.Batch > 0, $"partition {s.Partition} restarted from batch 0\n{Transcripts()}"));
        Assert.All(lost, p => Assert.Contains(restarts, s => s.Partition == p));
        output.WriteLine($"coordinator recovered on {string.Join(", ", successors)}; restarts after the kill: " +
                         string.Join(", ", restarts.Select(s => $"p{s.Partition}@{s.Batch}")));
    }

    [Theory]
    [InlineData(Journals.Sqlite)]
    [InlineData(Journals.Postgres)]
    public void The_whole_cluster_killed_mid_run_resumes_on_a_new_cluster_exactly(string journal)
    {
        var (ds, spec) = MakeDataset();
        var runId = RunId("all");
        var report = Path.Combine(_dir, "report.json");
        var expected = ds.Recount(spec);

        var first = StartCluster(journal, Throttle);
        var submit = StartSubmit(ds, runId, report, first);
        var line = WaitForMidRun(submit);
        foreach (var n in first) n.Process.Kill();
        submit.Kill();
        output.WriteLine($"{Elapsed}: killed all three nodes and submit at '{line}'");
        Assert.False(File.Exists(report), "the killed submit must not have written a report");
        Assert.All(first, n => Assert.DoesNotContain($"run {runId}: completed", n.Process.Stdout));

        // A new cluster (new ports, full speed) on the same journal; submit the same run id.
        var second = StartCluster(journal, throttle: null);
        var again = StartSubmit(ds, runId, report, second);
        var exit = again.WaitForExit(RunTimeout);
        output.WriteLine($"{Elapsed}: second submit exited with {exit}");
        Assert.True(exit == 0, $"submit exit code {exit}\n{Transcripts()}");

        var resumed = ResumingPattern().Match(again.Stdout);
        Assert.True(resumed.Success, $"no 'resuming' line\n{again.Transcript}");
        Assert.Equal(runId, resumed.Groups[1].Value);
        var already = Number(resumed.Groups[2].Value);
        // The new cluster resumes its unfinished runs by itself (evaluator.resume-unfinished-runs):
        // at full speed it may have finished before the submit came; what was counted is kept.
        Assert.InRange(already, 1, expected.Pixels.Total);
        AssertExact(ds, spec, report);
        output.WriteLine($"resumed at {already:N0} of {expected.Pixels.Total:N0} pixels");
    }

    // ---- the cluster ----------------------------------------------------------------------

    private string Elapsed => $"[{_clock.Elapsed.TotalSeconds,5:F1} s]";

    /// <summary>
    /// A fresh run id (the PostgreSQL database is shared between tests and runs), short enough
    /// that the lines naming it are not wrapped at the 80 columns of redirected output.
    /// </summary>
    private static string RunId(string what) => $"cp-{what}-{Guid.NewGuid():N}"[..(4 + what.Length + 12)];

    private (Dataset Data, RunSpec Spec) MakeDataset() =>
        (new Dataset(Path.Combine(_dir, "data"), Dataset.Format.NpyU8, pairs: Pairs, width: 32, height: 32,
            classes: Classes, seed: 29), new RunSpec(Classes, ignoreLabels: [255]));

    /// <summary>
    /// Starts three worker nodes on free loopback ports and waits until each is up. The first
    /// lists only itself as seed, so it forms the cluster at once (a first seed among several
    /// would wait seed-node-timeout for the others before joining itself); once it is up, the
    /// other two start together and join through it. No node ever contacts a port nobody
    /// listens on yet: remoting would gate that address for 5 s, delaying joins and heartbeats.
    /// Seed lists matter only for joining: once up, any node may be killed, the first included.
    /// </summary>
    private Node[] StartCluster(string journal, string? throttle)
    {
        var journalEnv = Journals.Environment(journal);
        Assert.Subset(NodeVariables.ToHashSet(), journalEnv.Keys.ToHashSet());
        var ports = FreePorts(3);
        var addresses = ports.Select(p => $"akka.tcp://evaluator@127.0.0.1:{p}").ToArray();
        var started = _clock.Elapsed;
        Node Start(int i)
        {
            var env = NodeEnvironment(ports[i], addresses[0], Path.Combine(_dir, "journal"), throttle);
            foreach (var (name, value) in journalEnv) env[name] = value;
            var process = ChildProcess.StartEvaluator(["serve"], env);
            _children.Add(process);
            process.StdoutLine += _ =>
            {
                try
                {
                    _someoneWrote.Set();
                }
                catch (ObjectDisposedException)
                {
                    // a last line read after the test ended
                }
            };
            return new Node(i, addresses[i], process);
        }
        string Up(Node n)
        {
            // Every node carries its evaluator.sharding.max-shards as a role (ShardingAgreement); roles are a set.
            var up = $"evaluator node up at {n.Address} (roles: ";
            n.Process.WaitForLine(l => l.StartsWith(up, StringComparison.Ordinal) && l.EndsWith(')')
                && l[up.Length..^1].Split(',').Order().SequenceEqual(["max-shards-100", "worker"]), NodeUpTimeout, $"{n} up");
            return $"{(_clock.Elapsed - started).TotalSeconds:F1}";
        }
        var first = Start(0);
        var up = new List<string> { Up(first) };
        Node[] nodes = [first, Start(1), Start(2)];
        up.AddRange(nodes[1..].Select(Up));
        output.WriteLine($"{Elapsed}: cluster up on ports {string.Join(", ", ports)} ({journal}; nodes up after {string.Join(", ", up)} s)");
        return nodes;
    }

    private ChildProcess StartSubmit(Dataset ds, string runId, string report, Node[] nodes)
    {
        string[] args =
        [
            "submit", "--gt", ds.GroundTruthDir, "--pred", ds.PredictionDir, "--classes", $"{Classes}", "--ignore", "255",
            "--partitions", $"{Partitions}", "--run-id", runId, "--report", report,
        ];
        var process = ChildProcess.StartEvaluator(args,
            SubmitEnvironment(string.Join(",", nodes.Select(n => n.Address)), Path.Combine(_dir, "client")));
        _children.Add(process);
        return process;
    }

    /// <summary>
    /// SIGKILLs a worker that is not the coordinator's while it counts a partition of
    /// <paramref name="runId"/>, then waits for <paramref name="submit"/> to finish with exit 0.
    /// </summary>
    private void KillAWorkerMidRunAndFinish(Node[] nodes, ChildProcess submit, string runId)
    {
        var line = WaitForMidRun(submit);
        var coordinator = WaitFor(() => nodes.FirstOrDefault(n => CoordinatorUp(runId).IsMatch(n.Process.Stdout)),
            "the node hosting the coordinator");
        var victim = WaitFor(() => nodes.FirstOrDefault(n => n != coordinator && Unfinished(n, runId).Count > 0),
            "a worker other than the coordinator's with a partition in progress");
        victim.Process.Kill();
        victim.Process.WaitForExit(TimeSpan.FromSeconds(30)); // and its last lines read
        var lost = Unfinished(victim, runId);
        output.WriteLine($"{Elapsed}: killed {victim} at '{line}' with partitions [{string.Join(", ", lost)}] unfinished");
        Assert.True(lost.Count > 0, $"{victim} had finished its partitions when it was killed\n{Transcripts()}");

        var exit = submit.WaitForExit(RunTimeout);
        Assert.True(exit == 0, $"submit exit code {exit}\n{Transcripts()}");
    }

    /// <summary>Waits for a progress line of the submit process with some but not all pairs done.</summary>
    private string WaitForMidRun(ChildProcess submit)
    {
        var line = submit.WaitForLine(l => Progress(l) is { Done: > 0 } p && p.Done < p.Total, RunTimeout,
            "a progress line with some but not all pairs done");
        Assert.False(submit.HasExited, $"submit ended before the kill (at '{line}')\n{Transcripts()}");
        output.WriteLine($"{Elapsed}: mid-run: {line}");
        return line;
    }

    /// <summary>Waits (on the nodes' output, without polling) until <paramref name="probe"/> finds something.</summary>
    private T WaitFor<T>(Func<T?> probe, string what) where T : class
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (probe() is { } found) return found;
            var left = RunTimeout - clock.Elapsed;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"no {what} within {RunTimeout.TotalSeconds:F0} s\n{Transcripts()}");
            _someoneWrote.WaitOne(left);
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

    // ---- what the nodes logged ------------------------------------------------------------

    private static Regex CoordinatorUp(string runId) => new($@"run {Regex.Escape(runId)}: coordinator up on ([^\s""]+)");

    private static Regex StartLine(string runId) => new($@"run {Regex.Escape(runId)} partition (\d+): starting at batch (\d+) of \d+");

    private static Regex DoneLine(string runId) => new($@"run {Regex.Escape(runId)} partition (\d+): all \d+ batches counted");

    private static string After(Node n, int mark) => n.Process.Stdout[mark..];

    /// <summary>Partitions (re)started on <paramref name="n"/> after the first <paramref name="mark"/> characters of its output.</summary>
    private static List<(int Partition, long Batch)> Starts(Node n, string runId, int mark = 0) =>
        [.. StartLine(runId).Matches(After(n, mark)).Select(m => (int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture),
            long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)))];

    /// <summary>Partitions started on <paramref name="n"/> that it has not finished.</summary>
    private static List<int> Unfinished(Node n, string runId)
    {
        var stdout = n.Process.Stdout;
        var done = DoneLine(runId).Matches(stdout).Select(m => m.Groups[1].Value).ToHashSet();
        return [.. StartLine(runId).Matches(stdout).Select(m => m.Groups[1].Value).Where(p => !done.Contains(p)).Distinct()
            .Select(p => int.Parse(p, CultureInfo.InvariantCulture)).Order()];
    }

    private string Transcripts()
    {
        static string Tail(string s) => s.Length <= 6000 ? s : "…" + s[^6000..];
        return string.Join("\n", _children.Select((c, i) => $"=== child {i} (pid {c.Id}) ===\n{Tail(c.Transcript)}"));
    }

    private void AssertExact(Dataset ds, RunSpec spec, string reportPath)
    {
        var expected = ds.Recount(spec);
        var report = ReportFile.Read(reportPath);
        Assert.Equal("completed", report.Status);
        Assert.Null(report.Error);
        Assert.Empty(report.BadPairs);
        Assert.Equal(expected.Matrix, report.Matrix);
        Assert.Equal(expected.Pixels, report.Pixels);
        Assert.Equal((long)Pairs * ds.Width * ds.Height, report.Pixels.Total);
    }
}
