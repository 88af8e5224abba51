using System.Net;
using System.Text;
using Evaluator.Tests.Http;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.EndToEnd;

/// <summary>
/// <c>cancel</c> and <c>delete</c> as child processes: against a server (--url, real Kestrel) and on
/// a local journal (--data-dir, an embedded node), with the exit codes the README gives.
/// </summary>
[Trait("Category", "Services")]
public sealed class RunControlCommandTests(HttpNode server) : IClassFixture<HttpNode>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    private static (int Exit, string Transcript) Evaluator(params string[] args)
    {
        using var child = ChildProcess.StartEvaluator(args);
        var exit = child.WaitForExit(Limit);
        return (exit, child.Transcript);
    }

    [Fact]
    public async Task Against_a_server_cancel_and_delete_exit_by_what_the_server_answered()
    {
        var http = server.Client;
        var id = "cli-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsync("/runs",
            new StringContent($$"""{"run_id":"{{id}}","num_classes":3}""", Encoding.UTF8, "application/json"))).StatusCode);
        var url = server.Api.Address.ToString();

        var (exit, transcript) = Evaluator("delete", id, "--url", url);
        Assert.True(exit == 1, transcript); // running: refused
        Assert.Contains("cancel it first", transcript);
        (exit, transcript) = Evaluator("cancel", id, "--url", url);
        Assert.True(exit == 0, transcript);
        (exit, transcript) = Evaluator("delete", id, "--url", url);
        Assert.True(exit == 0, transcript);
        (exit, transcript) = Evaluator("delete", id, "--url", url);
        Assert.True(exit == 2, transcript); // gone
        Assert.Contains("not found", transcript);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/runs/{id}")).StatusCode);

        (exit, transcript) = Evaluator("cancel", id, "--url", "http://127.0.0.1:9");
        Assert.True(exit == 5, transcript);
    }

    [Fact]
    public void On_a_local_journal_a_finished_run_is_deleted_for_good()
    {
        var dir = TestEnvironment.TempDir("cli-delete");
        var data = new Dataset(Path.Combine(dir, "data"), Dataset.Format.NpyU8, 3, 8, 6, 4, seed: 3);
        var journal = Path.Combine(dir, "journal");
        var (exit, transcript) = Evaluator("evaluate", "--gt", data.GroundTruthDir, "--pred", data.PredictionDir, "--classes", "4",
            "--ignore", "255", "--run-id", "local1", "--data-dir", journal, "--quiet");
        Assert.True(exit == 0, transcript);

        (exit, transcript) = Evaluator("cancel", "local1", "--data-dir", journal);
        Assert.True(exit == 1, transcript); // completed: nothing to cancel
        Assert.Contains("is completed", transcript);
        (exit, transcript) = Evaluator("delete", "local1", "--data-dir", journal);
        Assert.True(exit == 0, transcript);
        Assert.Contains("run 'local1' is deleted", transcript);
        (exit, transcript) = Evaluator("runs", "--data-dir", journal, "--json");
        Assert.True(exit == 0, transcript);
        Assert.DoesNotContain("local1", transcript);
        (exit, transcript) = Evaluator("delete", "local1", "--data-dir", journal);
        Assert.True(exit == 2, transcript);
    }

    [Fact]
    public void An_interrupted_local_run_is_cancelled_and_then_refuses_to_resume()
    {
        var dir = TestEnvironment.TempDir("cli-cancel");
        var data = new Dataset(Path.Combine(dir, "data"), Dataset.Format.NpyU8, 40, 8, 6, 4, seed: 4);
        var journal = Path.Combine(dir, "journal");
        string[] evaluate = ["evaluate", "--gt", data.GroundTruthDir, "--pred", data.PredictionDir, "--classes", "4",
            "--ignore", "255", "--run-id", "local2", "--data-dir", journal, "--partitions", "1"];
        using (var first = ChildProcess.StartEvaluator(evaluate, new Dictionary<string, string?> { ["EVALUATOR_THROTTLE_PAIRS_PER_SECOND"] = "2" }))
        {
            // Some pairs counted (and so the run persisted), not all: 2 pairs a second.
            first.WaitForLine(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"\b[1-9]\d*/40 pairs"), Limit, "a progress line");
            first.Signal("INT");
            Assert.Equal(130, first.WaitForExit(Limit));
        }

        var (exit, transcript) = Evaluator("delete", "local2", "--data-dir", journal);
        Assert.True(exit == 1, transcript); // still running (interrupted, resumable)
        (exit, transcript) = Evaluator("cancel", "local2", "--data-dir", journal);
        Assert.True(exit == 0, transcript);
        Assert.Contains("run 'local2' is cancelled", transcript);
        (exit, transcript) = Evaluator([.. evaluate]);
        Assert.True(exit == 2, transcript);
        Assert.Contains("was cancelled and cannot be resumed", transcript);
        Assert.DoesNotContain("   at ", transcript);
        (exit, transcript) = Evaluator("runs", "--data-dir", journal, "--json");
        Assert.Contains("\"cancelled\"", transcript);
        (exit, transcript) = Evaluator("delete", "local2", "--data-dir", journal);
        Assert.True(exit == 0, transcript);
    }
}
