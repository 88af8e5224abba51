using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Evaluator.Tests.Support;
using Xunit.Abstractions;

namespace Evaluator.Tests.Clients;

/// <summary>
/// The Python package (clients/python/evaluator_client): its pytest unit tests, and
/// EvaluatorMetric under distributed data parallel against a real <c>serve</c> node that is
/// killed (SIGKILL) and restarted on the same URL and data directory while two ranks push.
/// Needs Debian's python3-numpy, python3-pytest, python3-torch and python3-setuptools
/// (run-tests.sh installs them).
/// </summary>
// Category=Services: needs /usr/bin/python3 with numpy, pytest and torch, and node processes; ./run-tests.sh --fast leaves it out.
[Trait("Category", "Services")]
[Collection("processes")]
public sealed class PythonMetricTests(ITestOutputHelper output)
{
    private const string UrlLine = "http api and dashboard at ";

    private static string ClientDir => PythonScripts.ClientDir;

    [Fact]
    public async Task The_python_unit_tests_pass()
    {
        var (code, stdout, stderr, timedOut) = await PythonScripts.RunAsync(
            ["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], ClientDir, TimeSpan.FromSeconds(300));
        var transcript = $"--- pytest stdout ---\n{stdout}--- stderr ---\n{stderr}";
        output.WriteLine(transcript);
        Assert.False(timedOut, $"pytest did not finish within 300 s\n{transcript}");
        Assert.True(code == 0, $"pytest exit code {code}\n{transcript}");
    }

    [Fact]
    public async Task The_metric_on_two_ranks_counts_exactly_through_a_kill_9_of_the_node()
    {
        var clock = Stopwatch.StartNew();
        var dir = TestEnvironment.TempDir("python-ddp");
        var data = Path.Combine(dir, "data");
        var url = $"http://127.0.0.1:{FreePort()}";
        ChildProcess? node = StartNode(url, data);
        try
        {
            output.WriteLine($"node at {url} after {clock.Elapsed.TotalSeconds:F1} s");
            var info = PythonScripts.Info([Path.Combine(ClientDir, "tests", "e2e_ddp.py"), url, "--kill-point"], dir);
            info.RedirectStandardInput = true;
            using var python = Process.Start(info) ?? throw new InvalidOperationException($"could not start {PythonScripts.Python}");
            var stdout = new StringBuilder();
            var killPoint = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var stdoutDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            python.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    stdoutDone.TrySetResult();
                    return;
                }
                lock (stdout) stdout.AppendLine(e.Data);
                if (e.Data.StartsWith("KILL POINT", StringComparison.Ordinal)) killPoint.TrySetResult();
            };
            var stderr = python.StandardError.ReadToEndAsync();
            python.BeginOutputReadLine();
            string Transcript() { lock (stdout) return $"--- e2e_ddp.py stdout ---\n{stdout}--- stderr ---\n{(stderr.IsCompleted ? stderr.Result : "(running)")}"; }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(240));
            try
            {
                var first = await Task.WhenAny(killPoint.Task, python.WaitForExitAsync(timeout.Token));
                Assert.True(first == killPoint.Task, $"e2e_ddp.py ended before its kill point\n{Transcript()}\n{node?.Transcript}");
                node!.Kill(); // SIGKILL while both ranks keep pushing
                output.WriteLine($"node killed at {clock.Elapsed.TotalSeconds:F1} s");
                node!.Dispose();
                node = null;
                node = StartNode(url, data);
                output.WriteLine($"node back at {clock.Elapsed.TotalSeconds:F1} s");
                await python.StandardInput.WriteLineAsync("restarted");
                await python.StandardInput.FlushAsync();
                await python.WaitForExitAsync(timeout.Token);
                await stdoutDone.Task.WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (OperationCanceledException)
            {
                python.Kill(entireProcessTree: true);
                await python.WaitForExitAsync();
                Assert.Fail($"e2e_ddp.py did not finish within 240 s\n{Transcript()}\n{node?.Transcript}");
            }
            await stderr;
            var transcript = Transcript();
            output.WriteLine(transcript);
            output.WriteLine($"python finished after {clock.Elapsed.TotalSeconds:F1} s");
            Assert.True(python.ExitCode == 0, $"e2e_ddp.py exit code {python.ExitCode}\n{transcript}\n{node?.Transcript}");
            Assert.EndsWith("OK", transcript[..transcript.IndexOf("--- stderr ---", StringComparison.Ordinal)].TrimEnd());
        }
        finally
        {
            node?.Dispose();
        }
    }

    /// <summary>A serve node on a fixed URL (so that clients reach it again after a restart).</summary>
    private static ChildProcess StartNode(string url, string data)
    {
        var child = ChildProcess.StartEvaluator(["serve", "--port", "0", "--http", url, "--data-dir", data]);
        try
        {
            child.WaitForLine(l => l.StartsWith(UrlLine, StringComparison.Ordinal), TimeSpan.FromSeconds(90),
                "the 'http api and dashboard at' line");
            return child;
        }
        catch
        {
            child.Dispose();
            throw;
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }
}
