using System.Diagnostics;
using System.Text;
using Evaluator.Tests.Support;
using Xunit.Abstractions;

namespace Evaluator.Tests.Clients;

/// <summary>
/// The Python client (clients/python/evaluator_client) against a real <c>serve</c> node:
/// clients/python/tests/e2e_client.py sends numpy batches and int64 matrices on several partitions
/// through injected faults (lost requests and answers, a 503, a deliberate gap, duplicate
/// sends) and checks the final confusion matrix against numpy's own recount, exactly. Needs
/// Debian's python3-numpy (run-tests.sh installs it).
/// </summary>
// Category=Services: needs /usr/bin/python3 with numpy and a node process; ./run-tests.sh --fast leaves it out.
[Trait("Category", "Services")]
[Collection("processes")]
public sealed class PythonClientTests(ITestOutputHelper output)
{
    private const string Python = "/usr/bin/python3";

    [Fact]
    public async Task The_python_client_counts_every_batch_exactly_once_through_faults()
    {
        var clock = Stopwatch.StartNew();
        var script = Path.Combine(RepoFiles.RepoRoot(), "clients", "python", "tests", "e2e_client.py");
        Assert.True(File.Exists(script), $"{script} is missing");
        var dir = TestEnvironment.TempDir("python-client");
        using var node = NodeProcess.Start(dir);
        output.WriteLine($"node at {node.Url} after {clock.Elapsed.TotalSeconds:F1} s");

        var info = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dir,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add(node.Url.ToString());
        info.Environment["PYTHONDONTWRITEBYTECODE"] = "1"; // no __pycache__ in the checkout
        info.Environment["PYTHONUNBUFFERED"] = "1";
        using var python = Process.Start(info) ?? throw new InvalidOperationException($"could not start {Python}");
        var stdout = python.StandardOutput.ReadToEndAsync();
        var stderr = python.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await python.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            python.Kill(entireProcessTree: true);
            await python.WaitForExitAsync();
        }
        var transcript = $"--- e2e_client.py stdout ---\n{await stdout}--- stderr ---\n{await stderr}";
        output.WriteLine(transcript);
        output.WriteLine($"python finished after {clock.Elapsed.TotalSeconds:F1} s");
        Assert.False(timeout.IsCancellationRequested, $"e2e_client.py did not finish within 120 s\n{transcript}\n{node.Process.Transcript}");
        Assert.True(python.ExitCode == 0, $"e2e_client.py exit code {python.ExitCode}\n{transcript}\n{node.Process.Transcript}");
        Assert.EndsWith("OK", (await stdout).TrimEnd());
    }
}
