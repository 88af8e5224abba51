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
/// Signals and exit codes of the real program, run as a child process: Ctrl-C during a run,
/// SIGTERM while a node joins, a port in use, unreachable seeds and servers. None of these may
/// hang, end in a stack trace, or abort (exit 134).
/// </summary>
// Category=Services: runs and signals the evaluator as a child process; ./run-tests.sh --fast leaves it out.
[Trait("Category", "Services")]
[Collection("processes")]
public sealed partial class SignalAndExitCodeTests(ITestOutputHelper output)
{
    private const int Classes = 7;
    private const string ResumePrefix = "resume with: ";

    [GeneratedRegex(@"(\d[\d,]*)/(\d[\d,]*) pairs")]
    private static partial Regex ProgressPattern();

    private static long Number(string text) => long.Parse(text, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);

    private static bool MidRun(string line) =>
        ProgressPattern().Match(line) is { Success: true } m && Number(m.Groups[1].Value) > 0
                                                             && Number(m.Groups[1].Value) < Number(m.Groups[2].Value);

    private static void AssertNoStackTrace(ChildProcess child)
    {
        Assert.DoesNotContain("   at ", child.Stdout + child.Stderr);
        Assert.DoesNotContain("Unhandled exception", child.Stdout + child.Stderr);
    }

    /// <summary>The arguments (after the program) of the command the child printed to resume its run.</summary>
    private static string[] ResumeArguments(ChildProcess child)
    {
        var line = child.Stdout.Split('\n').Select(l => l.TrimEnd('\r')).LastOrDefault(l => l.StartsWith(ResumePrefix, StringComparison.Ordinal))
                   ?? throw new Xunit.Sdk.XunitException($"no '{ResumePrefix}' line\n{child.Transcript}");
        var words = ChildProcess.ShellWords(line[ResumePrefix.Length..]);
        var dll = words.ToList().FindIndex(w => w.EndsWith("evaluator.dll", StringComparison.Ordinal) || w.EndsWith("/evaluator", StringComparison.Ordinal));
        Assert.True(dll >= 0, $"the resume command names no program: {line}");
        return [.. words.Skip(dll + 1)];
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    [Fact]
    public void Ctrl_C_during_evaluate_stops_within_seconds_with_130_and_the_printed_command_resumes_exactly()
    {
        var dir = TestEnvironment.TempDir("sigint");
        // 80 pairs on 2 partitions at 10 pairs/s each: about 4 s of counting.
        var ds = new Dataset(dir, Dataset.Format.NpyU8, pairs: 80, width: 64, height: 48, classes: Classes, seed: 23);
        var reportPath = Path.Combine(dir, "report.json");
        string[] args =
        [
            "evaluate", "--gt", ds.GroundTruthDir, "--pred", ds.PredictionDir, "--classes", $"{Classes}",
            "--ignore", "255", "--partitions", "2", "--data-dir", Path.Combine(dir, "data"), "--report", reportPath,
        ];
        string[] resume;
        using (var first = ChildProcess.StartEvaluator(args,
                   new Dictionary<string, string?> { ["EVALUATOR_THROTTLE_PAIRS_PER_SECOND"] = "10" }))
        {
            var line = first.WaitForLine(MidRun, TimeSpan.FromSeconds(90), "progress line with some but not all pairs done");
            var clock = Stopwatch.StartNew();
            first.Signal("INT");
            var exit = first.WaitForExit(TimeSpan.FromSeconds(20));
            output.WriteLine($"SIGINT at '{line}': exit {exit} after {clock.Elapsed.TotalSeconds:F2} s");
            Assert.True(exit == 130, $"exit code {exit}\n{first.Transcript}");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed.TotalSeconds:F1} s to stop\n{first.Transcript}");
            AssertNoStackTrace(first);
            Assert.Contains("interrupted (SIGINT): run ", first.Stdout);
            resume = ResumeArguments(first);
        }
        Assert.False(File.Exists(reportPath), "the interrupted run must not have written a report");
        // The same command line, plus the run id that was generated.
        Assert.Equal(args, resume[..args.Length]);
        Assert.Equal("--run-id", resume[args.Length]);
        Assert.Equal(args.Length + 2, resume.Length);

        using var second = ChildProcess.StartEvaluator(resume, new Dictionary<string, string?> { ["EVALUATOR_THROTTLE_PAIRS_PER_SECOND"] = null });
        var exit2 = second.WaitForExit(TimeSpan.FromSeconds(120));
        Assert.True(exit2 == 0, $"exit code {exit2}\n{second.Transcript}");
        Assert.Contains($"resuming run {resume[^1]} at ", second.Stdout);
        var expected = ds.Recount(new RunSpec(Classes, ignoreLabels: [255]));
        var report = ReportFile.Read(reportPath);
        Assert.Equal("completed", report.Status);
        Assert.Equal(expected.Matrix, report.Matrix);
        Assert.Equal(expected.Pixels, report.Pixels);
    }

    [Fact]
    public void Sigterm_while_serve_is_joining_unreachable_seeds_exits_promptly_with_a_clear_line()
    {
        var dir = TestEnvironment.TempDir("sigterm-join");
        var nobody = FreePort(); // nothing listens there
        using var node = ChildProcess.StartEvaluator(
            ["serve", "--port", "0", "--seed-nodes", $"akka.tcp://evaluator@127.0.0.1:{nobody}", "--data-dir", Path.Combine(dir, "data")]);
        // Printed once signals are handled, as the node starts to join.
        node.WaitForLine(l => l.StartsWith("evaluator node joining the cluster", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "the joining line");
        Assert.False(node.HasExited, node.Transcript);
        var clock = Stopwatch.StartNew();
        node.Signal("TERM");
        var exit = node.WaitForExit(TimeSpan.FromSeconds(20));
        output.WriteLine($"SIGTERM while joining: exit {exit} after {clock.Elapsed.TotalSeconds:F2} s");
        Assert.True(exit == 0, $"exit code {exit}\n{node.Transcript}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"took {clock.Elapsed.TotalSeconds:F1} s\n{node.Transcript}");
        Assert.Contains("evaluator node stopped while joining the cluster (SIGTERM)", node.Stdout);
        AssertNoStackTrace(node);
    }

    [Fact]
    public void A_second_serve_on_a_port_in_use_exits_2_naming_host_and_port()
    {
        var dir = TestEnvironment.TempDir("port");
        var port = FreePort();
        using var first = ChildProcess.StartEvaluator(["serve", "--port", $"{port}", "--data-dir", Path.Combine(dir, "a")]);
        first.WaitForLine(l => l.StartsWith("evaluator node up at ", StringComparison.Ordinal), TimeSpan.FromSeconds(90), "the first node up");
        using var second = ChildProcess.StartEvaluator(["serve", "--port", $"{port}", "--data-dir", Path.Combine(dir, "b")]);
        var exit = second.WaitForExit(TimeSpan.FromSeconds(60));
        Assert.True(exit == 2, $"exit code {exit}\n{second.Transcript}");
        Assert.Contains($"127.0.0.1:{port} is already in use", second.Stderr);
        AssertNoStackTrace(second);
        Assert.False(first.HasExited, first.Transcript);
        first.Signal("TERM");
        Assert.Equal(0, first.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains("evaluator node left the cluster", first.Stdout);
    }

    [Fact]
    public void A_serve_node_downed_by_the_cluster_exits_1_saying_so()
    {
        var dir = TestEnvironment.TempDir("downed");
        // The seed gets the lower port: with two nodes, keep-majority keeps the side with the lowest address.
        var (low, high) = (FreePort(), FreePort());
        if (low > high) (low, high) = (high, low);
        var seeds = $"akka.tcp://evaluator@127.0.0.1:{low}";
        var env = new Dictionary<string, string?> { ["EVALUATOR_DOWN_AFTER"] = "2s" };
        using var seed = ChildProcess.StartEvaluator(["serve", "--port", $"{low}", "--seed-nodes", seeds, "--data-dir", Path.Combine(dir, "a")],
            new Dictionary<string, string?>(env) { ["EVALUATOR_LOGLEVEL"] = "INFO" });
        seed.WaitForLine(l => l.StartsWith("evaluator node up at ", StringComparison.Ordinal), TimeSpan.FromSeconds(90), "the seed up");
        using var other = ChildProcess.StartEvaluator(["serve", "--port", $"{high}", "--seed-nodes", seeds, "--data-dir", Path.Combine(dir, "a")], env);
        other.WaitForLine(l => l.StartsWith("evaluator node up at ", StringComparison.Ordinal), TimeSpan.FromSeconds(90), "the second node up");
        // Frozen, the second node stops answering heartbeats: the seed's split-brain resolver downs it.
        other.Signal("STOP");
        seed.WaitForLine(l => l.Contains("Leader is removing", StringComparison.Ordinal), TimeSpan.FromSeconds(60),
            "the seed removing the frozen node (its split-brain resolver downed it)");
        other.Signal("CONT");
        var exit = other.WaitForExit(TimeSpan.FromSeconds(60));
        Assert.True(exit == 1, $"exit code {exit}\n{other.Transcript}");
        Assert.Contains("evaluator node was downed or removed from the cluster", other.Stdout);
        Assert.False(seed.HasExited, seed.Transcript);
    }

    [Fact]
    public void Submit_to_unreachable_seeds_waits_the_join_timeout_and_exits_2()
    {
        var dir = TestEnvironment.TempDir("submit-noseed");
        var ds = new Dataset(dir, Dataset.Format.NpyU8, pairs: 2, width: 8, height: 8, classes: Classes, seed: 3);
        var clock = Stopwatch.StartNew();
        using var submit = ChildProcess.StartEvaluator(
        [
            "submit", "--gt", ds.GroundTruthDir, "--pred", ds.PredictionDir, "--classes", $"{Classes}",
            "--seed-nodes", $"akka.tcp://evaluator@127.0.0.1:{FreePort()}", "--join-timeout", "3",
        ]);
        var exit = submit.WaitForExit(TimeSpan.FromSeconds(60));
        Assert.True(exit == 2, $"exit code {exit}\n{submit.Transcript}");
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(40));
        Assert.Contains("could not join the cluster within 3 s", submit.Stderr);
        AssertNoStackTrace(submit);
    }

    [Fact]
    public void Watch_against_a_server_that_is_down_exits_5_with_a_clear_error()
    {
        using var watch = ChildProcess.StartEvaluator(["watch", "--url", $"http://127.0.0.1:{FreePort()}", "--run", "some-run"]);
        var exit = watch.WaitForExit(TimeSpan.FromSeconds(60));
        Assert.True(exit == 5, $"exit code {exit}\n{watch.Transcript}");
        Assert.Contains("cannot reach the node at http://127.0.0.1:", watch.Stderr);
        AssertNoStackTrace(watch);
    }

    [Fact]
    public void Submit_that_loses_its_cluster_mid_run_exits_5_with_the_command_that_resumes()
    {
        var dir = TestEnvironment.TempDir("submit-lost");
        var ds = new Dataset(dir, Dataset.Format.NpyU8, pairs: 80, width: 64, height: 48, classes: Classes, seed: 5);
        var port = FreePort();
        var seeds = $"akka.tcp://evaluator@127.0.0.1:{port}";
        var fast = new Dictionary<string, string?>
        {
            ["EVALUATOR_DOWN_AFTER"] = "2s",
            ["EVALUATOR_ASK_TIMEOUT"] = "4s",
        };
        using var server = ChildProcess.StartEvaluator(
            ["serve", "--port", $"{port}", "--seed-nodes", seeds, "--data-dir", Path.Combine(dir, "data")],
            new Dictionary<string, string?>(fast) { ["EVALUATOR_THROTTLE_PAIRS_PER_SECOND"] = "5" });
        server.WaitForLine(l => l.StartsWith("evaluator node up at ", StringComparison.Ordinal), TimeSpan.FromSeconds(90), "the node up");
        using var submit = ChildProcess.StartEvaluator(
        [
            "submit", "--gt", ds.GroundTruthDir, "--pred", ds.PredictionDir, "--classes", $"{Classes}", "--ignore", "255",
            "--partitions", "2", "--seed-nodes", seeds, "--run-id", "lost-run",
        ], fast);
        var line = submit.WaitForLine(MidRun, TimeSpan.FromSeconds(90), "progress line with some but not all pairs done");
        server.Kill();
        var clock = Stopwatch.StartNew();
        var exit = submit.WaitForExit(TimeSpan.FromSeconds(90));
        output.WriteLine($"server killed at '{line}': submit exit {exit} after {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(exit == 5, $"exit code {exit}\n{submit.Transcript}");
        Assert.Contains("lost the cluster", submit.Stderr);
        // Akka's own warnings about the lost connection may carry a stack trace; the program must not end in one.
        Assert.DoesNotContain("Unhandled exception", submit.Stdout + submit.Stderr);
        Assert.DoesNotContain("AskTimeoutException", submit.Stderr);
        var resume = ResumeArguments(submit);
        Assert.Equal("submit", resume[0]);
        Assert.Contains("lost-run", resume);
    }
}
