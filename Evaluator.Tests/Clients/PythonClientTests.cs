using System.Diagnostics;
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
    [Fact]
    public async Task The_python_client_counts_every_batch_exactly_once_through_faults()
    {
        var clock = Stopwatch.StartNew();
        var script = Path.Combine(PythonScripts.ClientDir, "tests", "e2e_client.py");
        Assert.True(File.Exists(script), $"{script} is missing");
        var dir = TestEnvironment.TempDir("python-client");
        using var node = NodeProcess.Start(dir);
        output.WriteLine($"node at {node.Url} after {clock.Elapsed.TotalSeconds:F1} s");

        var (code, stdout, stderr, timedOut) = await PythonScripts.RunAsync(
            [script, node.Url.ToString()], dir, TimeSpan.FromSeconds(120));
        var transcript = $"--- e2e_client.py stdout ---\n{stdout}--- stderr ---\n{stderr}";
        output.WriteLine(transcript);
        output.WriteLine($"python finished after {clock.Elapsed.TotalSeconds:F1} s");
        Assert.False(timedOut, $"e2e_client.py did not finish within 120 s\n{transcript}\n{node.Process.Transcript}");
        Assert.True(code == 0, $"e2e_client.py exit code {code}\n{transcript}\n{node.Process.Transcript}");
        Assert.EndsWith("OK", stdout.TrimEnd());
    }
}
