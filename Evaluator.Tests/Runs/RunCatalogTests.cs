using Evaluator.Messages.Protocol;
using Evaluator.Node.Cli;
using Evaluator.Node.Runs;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Runs;

/// <summary>The runs of a real SQLite journal, listed without a node (the <c>runs</c> command).</summary>
public class RunCatalogTests
{
    [Fact]
    public async Task Lists_the_runs_of_a_journal_with_their_state()
    {
        var dir = TestEnvironment.TempDir("catalog");
        var ds = new Dataset(dir, Dataset.Format.NpyU8, pairs: 3, width: 8, height: 8, classes: 3, seed: 11);
        var data = Path.Combine(dir, "data");
        Assert.Equal(EvaluatorCli.ExitOk, EvaluatorCli.Run(["evaluate", "--gt", ds.GroundTruthDir, "--pred", ds.PredictionDir,
            "--classes", "3", "--ignore", "255", "--data-dir", data, "--run-id", "listed"]));

        var runs = await RunCatalog.ListAsync(data);

        var run = Assert.Single(runs);
        Assert.Equal("listed", run.RunId);
        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(3, run.Pairs);
        Assert.Equal(3, run.PairsDone);
        Assert.Equal(3L * 8 * 8, run.Pixels.Total);
        Assert.NotNull(run.MeanIou);
    }

    [Fact]
    public async Task Listing_honours_its_cancellation()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => RunCatalog.ListAsync(TestEnvironment.TempDir("catalog-cancel"), cancelled.Token));
    }
}
