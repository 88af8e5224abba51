using System.Text.Json;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Cli;
using Evaluator.Node.Runs;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Runs;

/// <summary><c>runs</c> (issue #14 item 5): what each kind of run knows, dates, --sort, --json, a missing --data-dir.</summary>
public class RunsCommandTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    private static RunSummary Ingest()
    {
        var start = new StartRun("ing", new RunSpec(2), [new PartitionAssignment(0, [], 100, null), new PartitionAssignment(1, [], 100, null)],
            0, "ingest:x", false, Ingest: true);
        var partial = new PartitionPartial("ing", 0, 40, ConfusionMatrix.FromRows([[3, 0], [0, 1]]), new PixelCounts(4, 0, 0), [], true);
        return RunCatalog.Fold("ing", [((object)new RunStarted(start), (DateTimeOffset?)T0), (new PartialRecorded(partial), T0.AddMinutes(1))])!;
    }

    [Fact]
    public void An_ingest_run_shows_batches_and_pixels_and_no_pairs_or_expected_pixels()
    {
        var r = Ingest();
        Assert.True(r.Ingest);
        Assert.Equal(40, r.Batches);
        Assert.Equal(T0, r.Created);
        Assert.Null(r.Finished);
        using var doc = JsonDocument.Parse(RunsCommand.Json([r]));
        var run = doc.RootElement[0];
        Assert.Equal("ingest", run.GetProperty("kind").GetString());
        Assert.Equal(40, run.GetProperty("batches").GetInt64());
        Assert.Equal(4, run.GetProperty("pixels").GetInt64());
        Assert.Equal(JsonValueKind.Null, run.GetProperty("pairs").ValueKind);
        Assert.Equal(JsonValueKind.Null, run.GetProperty("pairs_done").ValueKind);
        Assert.Equal(JsonValueKind.Null, run.GetProperty("expected_pixels").ValueKind);
        Assert.Equal("2026-11-30T12:00:00.000Z", run.GetProperty("created").GetString());
        Assert.Equal(JsonValueKind.Null, run.GetProperty("finished").ValueKind);
    }

    [Fact]
    public async Task A_real_ingest_run_lists_its_batches_and_pixels_with_dates()
    {
        var http = new Evaluator.Tests.Http.HttpNode();
        await http.InitializeAsync();
        try
        {
            var c = http.Client;
            var created = await c.PostAsync("/runs", new StringContent("""{"run_id":"ing1","num_classes":3,"partitions":1}""",
                System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
            for (var seq = 0; seq < 3; seq++)
            {
                var r = await c.PostAsync($"/runs/ing1/partitions/0/batches/{seq}?shape=4&dtype=uint8",
                    Evaluator.Tests.Http.HttpApiTests.Bin([0, 1, 2, 1, 0, 1, 2, 2]));
                Assert.True(r.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
            }
            Assert.Equal(System.Net.HttpStatusCode.Accepted, (await c.PostAsync("/runs/ing1/complete", null)).StatusCode);
            // The final snapshot (the SSE stream closes after it): the run's last event is written.
            using (var reader = new StreamReader(await c.GetStreamAsync("/runs/ing1/events")))
            {
                while (await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)) is not null)
                {
                }
            }
            var run = Assert.Single(await new RunCatalog(http.Node, TimeSpan.Zero).ListAsync(), r => r.RunId == "ing1");
            Assert.Equal(("ingest", 3L, 12L, RunStatus.Completed), (run.Kind, run.Batches, run.Pixels.Total, run.Status));
            Assert.NotNull(run.Created);
            Assert.NotNull(run.Finished);
            Assert.True(run.Created <= run.Finished);
            using var doc = JsonDocument.Parse(RunsCommand.Json([run]));
            Assert.Equal(JsonValueKind.Null, doc.RootElement[0].GetProperty("pairs").ValueKind);
            Assert.Equal(3, doc.RootElement[0].GetProperty("batches").GetInt64());
        }
        finally
        {
            await http.DisposeAsync();
        }
    }

    [Fact]
    public void A_failed_run_is_finished_when_it_failed_and_a_resume_makes_it_unfinished_again()
    {
        var start = new StartRun("f", new RunSpec(2), [new PartitionAssignment(0, [], 100, null)], 0, "x", false);
        var failed = RunCatalog.Fold("f", [((object)new RunStarted(start), (DateTimeOffset?)T0), (new RunFailed(0, "boom"), T0.AddHours(1))])!;
        Assert.Equal(T0.AddHours(1), failed.Finished);
        var resumed = RunCatalog.Fold("f", [((object)new RunStarted(start), (DateTimeOffset?)T0), (new RunFailed(0, "boom"), T0.AddHours(1)),
            (new RunResumed(false), T0.AddHours(2))])!;
        Assert.Null(resumed.Finished);
    }

    [Fact]
    public void Journal_timestamps_read_as_ticks_or_unix_milliseconds()
    {
        Assert.Equal(T0, RunCatalog.Time(T0.UtcTicks));
        Assert.Equal(T0, RunCatalog.Time(T0.ToUnixTimeMilliseconds()));
        Assert.Null(RunCatalog.Time(0));
    }

    [Fact]
    public void Sort_orders_by_created_finished_id_or_status()
    {
        RunSummary Run(string id, RunStatus status, int created, int? finished) =>
            new(id, status, 1, 1, PixelCounts.Zero, 0, null, 0, null, Created: T0.AddMinutes(created),
                Finished: finished is { } f ? T0.AddMinutes(f) : null);
        RunSummary[] runs = [Run("b", RunStatus.Completed, 2, 9), Run("a", RunStatus.Running, 3, null), Run("c", RunStatus.Failed, 1, 5)];
        string Ids(string key) => string.Concat(RunsCommand.Sort(runs, key).Select(r => r.RunId));
        Assert.Equal("cba", Ids("created"));
        Assert.Equal("cba", Ids("finished"));
        Assert.Equal("abc", Ids("id"));
        Assert.Equal("bca", Ids("status"));
    }

    [Fact]
    public void Runs_json_lists_a_real_journal_with_dates_and_a_missing_data_dir_is_refused_not_created()
    {
        var dir = TestEnvironment.TempDir("runs-cmd");
        var ds = new Dataset(dir, Dataset.Format.NpyU8, pairs: 3, width: 8, height: 8, classes: 3, seed: 5);
        var data = Path.Combine(dir, "data");
        foreach (var id in new[] { "zz-first", "aa-second" })
        {
            Assert.Equal(EvaluatorCli.ExitOk, EvaluatorCli.Run(["evaluate", "--gt", ds.GroundTruthDir, "--pred", ds.PredictionDir,
                "--classes", "3", "--ignore", "255", "--data-dir", data, "--run-id", id]));
        }

        using (var p = ChildProcess.StartEvaluator(["runs", "--data-dir", data, "--json"]))
        {
            Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)) == 0, p.Transcript);
            using var doc = JsonDocument.Parse(p.Stdout);
            var runs = doc.RootElement.EnumerateArray().ToArray();
            Assert.Equal(["zz-first", "aa-second"], runs.Select(r => r.GetProperty("run_id").GetString()));
            foreach (var r in runs)
            {
                Assert.Equal("files", r.GetProperty("kind").GetString());
                Assert.Equal("completed", r.GetProperty("status").GetString());
                Assert.Equal(3, r.GetProperty("pairs").GetInt64());
                Assert.Equal(3, r.GetProperty("pairs_done").GetInt64());
                Assert.Equal(JsonValueKind.Null, r.GetProperty("batches").ValueKind);
                Assert.Equal(3 * 8 * 8, r.GetProperty("expected_pixels").GetInt64());
                var created = DateTimeOffset.Parse(r.GetProperty("created").GetString()!);
                var finished = DateTimeOffset.Parse(r.GetProperty("finished").GetString()!);
                Assert.InRange(created, DateTimeOffset.UtcNow.AddHours(-1), finished);
            }
        }
        using (var p = ChildProcess.StartEvaluator(["runs", "--data-dir", data, "--sort", "id"]))
        {
            Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)) == 0, p.Transcript);
            Assert.True(p.Stdout.IndexOf("aa-second", StringComparison.Ordinal) < p.Stdout.IndexOf("zz-first", StringComparison.Ordinal), p.Stdout);
            Assert.Contains("3/3", p.Stdout);
            Assert.DoesNotContain("/0", p.Stdout);
        }
        var typo = Path.Combine(dir, "typo");
        using (var p = ChildProcess.StartEvaluator(["runs", "--data-dir", typo]))
        {
            Assert.Equal(EvaluatorCli.ExitUsage, p.WaitForExit(TimeSpan.FromSeconds(60)));
            Assert.Contains("no such directory", p.Stderr);
        }
        Assert.False(Directory.Exists(typo));
    }
}
