using System.Text.Json;
using Evaluator.Node.Runs;
using Evaluator.Tests.Http;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Clients;

/// <summary>
/// The Python client's <c>Run.bootstrap()</c> against real Kestrel: the intervals it returns are
/// the route's, and a run without per-image results raises EvaluatorError 409.
/// </summary>
[Trait("Category", "Services")]
[Collection("processes")]
public sealed class PythonBootstrapClientTests
{
    private const string Script = """
        import json, sys
        sys.path.insert(0, sys.argv[1])
        from evaluator_client import Client, EvaluatorError
        c = Client(sys.argv[2], retries=0)
        print(json.dumps(c.run(sys.argv[3]).bootstrap(resamples=200, seed=3, confidence=0.9)))
        try:
            c.run(sys.argv[4]).bootstrap()
            print("no error")
        except EvaluatorError as e:
            print(e.status, e.title)
        """;

    [Fact]
    public async Task Run_bootstrap_returns_the_routes_intervals()
    {
        var dir = TestEnvironment.TempDir("python-bootstrap");
        var ds = new Dataset(dir, Dataset.Format.NpyU8, pairs: 6, width: 16, height: 12, classes: 3, seed: 4);
        var http = new HttpNode();
        await http.InitializeAsync();
        try
        {
            foreach (var (id, perImage) in new[] { ("py-bs", true), ("py-plain", false) })
            {
                var plan = RunLauncher.Plan(new RunRequest
                {
                    RunId = id, GroundTruth = ds.GroundTruthDir, Prediction = ds.PredictionDir, Classes = 3, Ignore = [255],
                    Partitions = 2, PerImage = perImage,
                });
                await RunLauncher.RunAsync(http.Node, RunLauncher.Partition(http.Node, plan), (_, _) => { });
            }
            var route = await http.Client.GetStringAsync("/runs/py-bs/bootstrap?resamples=200&seed=3&confidence=0.9");
            var script = Path.Combine(dir, "bootstrap.py");
            await File.WriteAllTextAsync(script, Script);
            var url = http.Api.Address.ToString().TrimEnd('/');
            var (code, stdout, stderr, timedOut) = await PythonScripts.RunAsync(
                [script, PythonScripts.ClientDir, url, "py-bs", "py-plain"], dir, TimeSpan.FromSeconds(60));
            Assert.False(timedOut, "python did not finish within 60 s");
            Assert.True(code == 0, $"python exit code {code}\n{stdout}\n{stderr}");
            var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            using var fromClient = JsonDocument.Parse(lines[0]);
            using var fromRoute = JsonDocument.Parse(route);
            // Python writes the same doubles in its own notation: compared by value.
            Assert.True(JsonElement.DeepEquals(fromRoute.RootElement, fromClient.RootElement), $"route {route}\nclient {lines[0]}");
            Assert.Equal("409 no per-image results", lines[1].Trim());
        }
        finally
        {
            await http.DisposeAsync();
        }
    }
}
